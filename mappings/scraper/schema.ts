/**
 * scraper_db: the target tables of the scraper service (monolith.md, "scraper_db").
 *
 * JS property keys equal the SQL column names. Ids keep the legacy type and sequence. No foreign
 * keys (see user/schema.ts).
 */
import { bigserial, boolean, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

/** Legacy `timestamp` (UTC) becomes `timestamptz`; strings keep the microseconds. */
const tz = { withTimezone: true, mode: 'string' } as const;

export const scraperTasks = pgTable('scraper_tasks', {
  id: serial('id').primaryKey(),
  url: text('url').notNull(),
  free_zone_id: integer('free_zone_id'),
  kind: text('kind').notNull(),
  status: text('status').notNull(),
  created_at: timestamp('created_at', tz),
  updated_at: timestamp('updated_at', tz),
});

export const scraperResults = pgTable('scraper_results', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  task_id: integer('task_id').notNull(),
  http_status: integer('http_status'),
  content: text('content'),
  extracted: jsonb('extracted'),
  scraped_at: timestamp('scraped_at', tz),
});

export const scraperSchedules = pgTable('scraper_schedules', {
  id: serial('id').primaryKey(),
  task_id: integer('task_id').notNull(),
  cron: text('cron').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  next_run_at: timestamp('next_run_at', tz),
});

/** Only the rows whose `entity` is like 'scraper%'; a row that stops matching is deleted. */
export const activityLogs = pgTable('activity_logs', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  actor_user_id: integer('actor_user_id'),
  action: text('action').notNull(),
  entity: text('entity').notNull(),
  entity_id: text('entity_id'),
  details: jsonb('details'),
  created_at: timestamp('created_at', tz),
});

export const tables = [scraperTasks, scraperResults, scraperSchedules, activityLogs] as const;
