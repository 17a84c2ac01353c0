/**
 * freezone_db: the target tables of the free-zone service (monolith.md, "freezone_db").
 *
 * JS property keys equal the SQL column names. Ids keep the legacy `serial`. No foreign keys
 * (see user/schema.ts). The unique constraints are made DEFERRABLE INITIALLY DEFERRED by the
 * custom migration `deferrable_uniques`, which names them as they are named here.
 */
import { boolean, integer, jsonb, numeric, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';

/** Legacy `timestamp` (UTC) becomes `timestamptz`; strings keep the microseconds. */
const tz = { withTimezone: true, mode: 'string' } as const;

export const freeZones = pgTable(
  'free_zones',
  {
    id: serial('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    emirate: text('emirate').notNull(),
    description: text('description'),
    website: text('website'),
    /** The non-empty trimmed lines of the legacy text, in order; empty when it was null. */
    benefits: text('benefits').array().notNull(),
    min_setup_cost_aed: numeric('min_setup_cost_aed', { precision: 12, scale: 2 }),
    max_setup_cost_aed: numeric('max_setup_cost_aed', { precision: 12, scale: 2 }),
    created_at: timestamp('created_at', tz),
    updated_at: timestamp('updated_at', tz),
  },
  (t) => [unique('free_zones_slug_unique').on(t.slug)],
);

/** Reference rows, ensured from `business_activities.category`. */
export const businessActivityCategories = pgTable('business_activity_categories', {
  slug: text('slug').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
});

export const businessActivities = pgTable(
  'business_activities',
  {
    id: serial('id').primaryKey(),
    free_zone_id: integer('free_zone_id').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    category_slug: text('category_slug').notNull(),
    is_regulated: boolean('is_regulated').notNull().default(false),
    approval_authority: text('approval_authority'),
    created_at: timestamp('created_at', tz),
  },
  (t) => [unique('business_activities_free_zone_id_code_unique').on(t.free_zone_id, t.code)],
);

export const establishmentGuides = pgTable('establishment_guides', {
  id: serial('id').primaryKey(),
  free_zone_id: integer('free_zone_id'),
  entity_type: text('entity_type').notNull(),
  title: text('title').notNull(),
  steps: jsonb('steps').notNull(),
  required_documents: text('required_documents').array().notNull().default([]),
  estimated_days: integer('estimated_days'),
  updated_at: timestamp('updated_at', tz),
});

export const tables = [freeZones, businessActivityCategories, businessActivities, establishmentGuides] as const;
