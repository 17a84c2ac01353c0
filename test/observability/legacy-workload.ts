import pg from 'pg';
import { startWriteLoop } from '../../tools/workload/write-loop.js';

/**
 * Rows every observability test starts from, written to the legacy database (and streamed), and a
 * continuous write load on top of them. Rows with an id up to `PROTECTED_ID` are never touched by
 * the load, so a test can change their target copies and know the load will not repair them.
 */
export const PROTECTED_ID = 100;

export interface SeedCounts {
  readonly users?: number;
  readonly documents?: number;
  readonly activityLogs?: number;
  readonly businessActivities?: number;
  readonly messages?: number;
  readonly scraperTasks?: number;
}

/** Seeds with SQL (generate_series): µs timestamps, bigints past 2^53, TOASTed text, unicode. */
export async function seedLegacy(url: string, counts: SeedCounts = {}): Promise<void> {
  const users = counts.users ?? 300;
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(`
      INSERT INTO roles (name, permissions, created_at) SELECT 'role ' || g, '["read"]', '2024-01-01 00:00:00.123456' FROM generate_series(1, 5) g;
      INSERT INTO users (email, password_hash, role_id, full_name, bio, created_at, updated_at)
        SELECT 'u' || g || '@example.test', 'hash' || g, 1 + g % 5, 'Üser ' || g, repeat('bio ', g % 7), timestamp '2024-01-01' + g * interval '1.000001 second', timestamp '2024-02-01 10:00:00.5'
          FROM generate_series(1, ${users}) g;
      INSERT INTO free_zones (slug, name, emirate, benefits, setup_cost_min, setup_cost_max, created_at)
        SELECT 'fz' || g, 'Zone ' || g, 'Dubai', E'fast setup\\n\\n 100% ownership ', 1234.5, 99999.99, timestamp '2024-03-01' FROM generate_series(1, 10) g;
      INSERT INTO business_activities (free_zone_id, code, name, category, category_description, created_at)
        SELECT 1 + g % 10, 'c' || g, 'Activity ' || g, 'Category ' || (g % 13) || ' & Co', 'about ' || (g % 13), timestamp '2024-03-02' FROM generate_series(1, ${counts.businessActivities ?? 300}) g;
      INSERT INTO documents (user_id, title, document_type, is_template, template_fields, size_bytes, created_at, updated_at)
        SELECT CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + g % ${users} END, 'Doc ' || g,
               CASE g % 3 WHEN 0 THEN 'Invoice' WHEN 1 THEN ' trade_license ' ELSE 'passport' END,
               g % 5 = 0, CASE WHEN g % 10 = 0 THEN '[{"name":"f","n":1.50}]'::jsonb END, 9007199254740993 + g, timestamp '2024-04-01 01:02:03.000004', now()::timestamp
          FROM generate_series(1, ${counts.documents ?? 600}) g;
      INSERT INTO activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
        SELECT g, 'act', CASE WHEN g % 2 = 0 THEN 'scraper_task' ELSE 'user' END, g::text, '{"a": [1, 2]}', timestamp '2024-05-01' FROM generate_series(1, ${counts.activityLogs ?? 600}) g;
      INSERT INTO scraper_tasks (url, kind, status, created_at) SELECT 'https://example.test/' || g, 'page', 'new', timestamp '2024-06-01' FROM generate_series(1, ${counts.scraperTasks ?? 200}) g;
      INSERT INTO conversations (id, user_id, title, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 1, 'chat', timestamp '2024-07-01');
      INSERT INTO messages (conversation_id, role, content, tokens, created_at)
        SELECT '00000000-0000-4000-8000-000000000001', 'user', repeat('long content ', 800) || g, g, timestamp '2024-07-01' FROM generate_series(1, ${counts.messages ?? 150}) g;
    `);
  } finally {
    await client.end();
  }
}

/** One random write transaction over rows with ids above PROTECTED_ID. */
const ACTIONS: readonly ((c: pg.Client, r: () => number) => Promise<unknown>)[] = [
  (c) => c.query(`INSERT INTO users (email, password_hash, role_id, full_name) VALUES ('n' || gen_random_uuid() || '@example.test', 'h', 2, 'New')`),
  (c, r) => c.query(`UPDATE users SET full_name = 'Renamed ' || $1::int, updated_at = clock_timestamp()::timestamp WHERE id = $2`, [r(), PROTECTED_ID + 1 + (r() % 250)]),
  (c, r) => c.query(`UPDATE documents SET is_template = NOT is_template, title = 'T' || $1::int WHERE id = $2`, [r(), PROTECTED_ID + 1 + (r() % 550)]),
  (c, r) => c.query(`UPDATE documents SET user_id = CASE WHEN user_id IS NULL THEN 7 END, document_type = 'New_Type ' || ($1::int % 4) WHERE id = $2`, [r(), PROTECTED_ID + 1 + (r() % 550)]),
  (c) => c.query(`INSERT INTO documents (user_id, title, document_type, is_template, created_at) VALUES (3, 'fresh', 'memo', false, clock_timestamp()::timestamp)`),
  (c, r) => c.query(`DELETE FROM documents WHERE id = $1`, [PROTECTED_ID + 1 + (r() % 550)]),
  (c, r) => c.query(`UPDATE activity_logs SET entity = CASE WHEN entity LIKE 'scraper%' THEN 'user' ELSE 'scraper_run' END WHERE id = $1`, [PROTECTED_ID + 1 + (r() % 500)]),
  (c) => c.query(`INSERT INTO activity_logs (action, entity, details, created_at) VALUES ('run', 'scraper_run', '{"ok": true}', clock_timestamp()::timestamp)`),
  (c, r) => c.query(`DELETE FROM activity_logs WHERE id = $1`, [PROTECTED_ID + 1 + (r() % 500)]),
  (c, r) => c.query(`UPDATE business_activities SET category = 'Category ' || ($1::int % 17), category_description = 'x' WHERE id = $2`, [r(), PROTECTED_ID + 1 + (r() % 200)]),
  (c, r) => c.query(`UPDATE messages SET tokens = $1 WHERE id = $2`, [r() % 1000, PROTECTED_ID + 1 + (r() % 50)]),
  (c, r) => c.query(`UPDATE scraper_tasks SET status = 'done', updated_at = clock_timestamp()::timestamp WHERE id = $1`, [PROTECTED_ID + 1 + (r() % 100)]),
];

export interface Workload {
  readonly transactions: () => number;
  /** Stops the load and resolves when the last transaction has finished. */
  readonly stop: () => Promise<number>;
}

/**
 * `concurrency` connections each running random small transactions, `pauseMs` apart (a steady
 * load of a few hundred transactions a second, not a benchmark).
 */
export function startWorkload(url: string, options: { readonly concurrency?: number; readonly seed?: number; readonly pauseMs?: number } = {}): Workload {
  const loop = startWriteLoop(
    url,
    async (client, rng) => {
      // Non-negative int4 values: they are bound as ::int, and taken modulo row counts.
      const random = (): number => rng.uint32() >>> 1;
      const statements = 1 + (random() % 3);
      for (let i = 0; i < statements; i += 1) await (ACTIONS[random() % ACTIONS.length] as (typeof ACTIONS)[number])(client, random);
    },
    { connections: options.concurrency ?? 2, seed: options.seed ?? 42, pauseMs: options.pauseMs ?? 5 },
  );
  return { transactions: loop.committed, stop: loop.stop };
}
