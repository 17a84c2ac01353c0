import type pg from 'pg';
import { startWriteLoop, type WriteLoop } from '../../tools/workload/write-loop.js';
import { big } from './seed-legacy.js';

/**
 * Writes to the legacy database in small transactions until stopped: inserts, updates and deletes
 * on every mapped table, including the cases that move rows between target tables or out of a
 * filter (template flips, user_id to NULL, activity entity in and out of 'scraper%'), updates that
 * leave a TOASTed column unchanged, email swaps (unique constraints), new reference values, a big
 * transaction now and then, and value traps. Deterministic for a seed, apart from timing.
 */
export type Workload = WriteLoop;

type Step = (client: pg.Client, r: () => number, own: OwnRows) => Promise<void>;

interface OwnRows {
  users: number[];
  documents: number[];
}

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

/** Any existing id of `table`, chosen at random by the database (none: undefined). */
async function anyId(client: pg.Client, table: string, where = 'true'): Promise<string | undefined> {
  const result = await client.query<{ id: string }>(`SELECT id::text AS id FROM public.${table} WHERE ${where} ORDER BY random() LIMIT 1`);
  return result.rows[0]?.id;
}

const STEPS: readonly Step[] = [
  async (c, r, own) => {
    const res = await c.query<{ id: number }>(
      `INSERT INTO users (email, password_hash, role_id, full_name, bio, last_login_at) VALUES ('w' || md5(random()::text) || '@x.ae', 'h', $1, $2, ${r() < 0.2 ? big('random()::text') : `'b'`}, clock_timestamp()::timestamp) RETURNING id`,
      [1 + Math.floor(r() * 5), pick(r, ['Ünïcödé 🚀', null, 'a,b "c"'])],
    );
    own.users.push((res.rows[0] as { id: number }).id);
  },
  async (c, r) => {
    const id = await anyId(c, 'users');
    if (id) await c.query(`UPDATE users SET full_name = $2, updated_at = clock_timestamp()::timestamp, is_active = NOT is_active WHERE id = $1`, [id, `n ${r()}`]);
  },
  async (c, r) => {
    // Swap two emails: both unique constraints see the swap only at the end of the transaction.
    const a = await anyId(c, 'users');
    const b = await anyId(c, 'users');
    if (!a || !b || a === b) return;
    const [ea, eb] = (await c.query<{ email: string }>('SELECT email FROM users WHERE id IN ($1, $2) ORDER BY id = $1 DESC', [a, b])).rows.map((row) => row.email);
    await c.query(`UPDATE users SET email = 'swap-' || id || '-' || $2 || '@tmp' WHERE id IN ($1, $3)`, [a, String(r()), b]);
    await c.query('UPDATE users SET email = $2 WHERE id = $1', [a, eb]);
    await c.query('UPDATE users SET email = $2 WHERE id = $1', [b, ea]);
  },
  async (c, _r, own) => {
    const id = own.users.shift();
    if (id === undefined) return;
    await c.query(
      `DELETE FROM users u WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.user_id = u.id) AND NOT EXISTS (SELECT 1 FROM template_submissions s WHERE s.user_id = u.id)
         AND NOT EXISTS (SELECT 1 FROM conversations x WHERE x.user_id = u.id) AND NOT EXISTS (SELECT 1 FROM sessions x WHERE x.user_id = u.id) AND NOT EXISTS (SELECT 1 FROM business_setup x WHERE x.user_id = u.id)`,
      [id],
    );
  },
  async (c, r, own) => {
    const res = await c.query<{ id: number }>(
      `INSERT INTO documents (user_id, title, size_bytes, document_type, is_template, template_fields, created_at) VALUES ((SELECT id FROM users ORDER BY random() LIMIT 1), 'w ✓', 9007199254740993, $1, $2, $3, clock_timestamp()::timestamp) RETURNING id`,
      [pick(r, [' New_Type ', 'passport', 'Brand_New_' + Math.floor(r() * 3)]), r() < 0.3, r() < 0.5 ? null : '[{"f": 1}]'],
    );
    own.documents.push((res.rows[0] as { id: number }).id);
  },
  async (c) => {
    const id = await anyId(c, 'documents');
    if (id) await c.query('UPDATE documents SET is_template = NOT is_template, updated_at = clock_timestamp()::timestamp WHERE id = $1', [id]);
  },
  async (c, r) => {
    const id = await anyId(c, 'documents');
    if (id) await c.query(`UPDATE documents SET user_id = CASE WHEN user_id IS NULL THEN 1 ELSE NULL END, document_type = $2 WHERE id = $1`, [id, pick(r, ['passport', 'Other_Kind', '  Trade_LICENSE '])]);
  },
  async (c, _r, own) => {
    const id = own.documents.shift();
    if (id !== undefined) await c.query('DELETE FROM documents d WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM template_submissions s WHERE s.template_id = d.id)', [id]);
  },
  async (c) => {
    const template = await anyId(c, 'documents', 'is_template');
    if (template) await c.query(`INSERT INTO template_submissions (template_id, user_id, data, status, submitted_at) VALUES ($1, 1, '{"x": [1, "ü"]}', 'new', clock_timestamp()::timestamp)`, [template]);
  },
  async (c, r) => {
    await c.query(
      `INSERT INTO messages (conversation_id, role, content, tokens, created_at) VALUES ((SELECT id FROM conversations ORDER BY random() LIMIT 1), 'user', ${r() < 0.5 ? big('random()::text') : `'short ü'`}, 5, clock_timestamp()::timestamp)`,
    );
  },
  async (c) => {
    // Only tokens changes: the TOASTed content is not sent (unchanged TOAST).
    const id = await anyId(c, 'messages', 'length(content) > 8000');
    if (id) await c.query('UPDATE messages SET tokens = coalesce(tokens, 0) + 1 WHERE id = $1', [id]);
  },
  async (c) => {
    const id = await anyId(c, 'messages');
    if (id) await c.query('DELETE FROM messages WHERE id = $1', [id]);
  },
  async (c, r) => {
    await c.query(`INSERT INTO activity_logs (actor_user_id, action, entity, details, created_at) VALUES (1, 'w', $1, '{"ü": 1}', clock_timestamp()::timestamp)`, [pick(r, ['scraper_task', 'user', 'scraper'])]);
  },
  async (c) => {
    const id = await anyId(c, 'activity_logs');
    if (id) await c.query(`UPDATE activity_logs SET entity = CASE WHEN entity LIKE 'scraper%' THEN 'user' ELSE 'scraper_run' END WHERE id = $1`, [id]);
  },
  async (c) => {
    const id = await anyId(c, 'activity_logs');
    if (id) await c.query('DELETE FROM activity_logs WHERE id = $1', [id]);
  },
  async (c, r) => {
    const id = await anyId(c, 'free_zones');
    if (id) await c.query(`UPDATE free_zones SET benefits = $2, setup_cost_max = $3, updated_at = clock_timestamp()::timestamp WHERE id = $1`, [id, pick(r, ['a\nb,\n "c"', null, '  x  \r\n']), pick(r, ['9999999999.99', null, '0.01'])]);
  },
  async (c, r) => {
    await c.query(`INSERT INTO business_activities (free_zone_id, code, name, category, category_description) VALUES (1 + floor(random() * 20)::int, 'W' || md5(random()::text), 'n', $1, 'd')`, [pick(r, ['Brand New Cat ' + Math.floor(r() * 4), 'Trading'])]);
  },
  async (c, r) => {
    const id = await anyId(c, 'business_activities');
    if (id) await c.query('UPDATE business_activities SET category = $2, is_regulated = NOT is_regulated WHERE id = $1', [id, pick(r, ['Ärzte', 'Moved Category'])]);
  },
  async (c, r) => {
    const id = await anyId(c, 'ai_training_data');
    if (id) await c.query('UPDATE ai_training_data SET tags = $2 WHERE id = $1', [id, pick(r, ['x, "y" ,z', null, ' , '])]);
  },
  async (c) => {
    await c.query(`INSERT INTO ai_training_data (source, input, output, tags) VALUES ('w', 'i', 'o', 'a,b')`);
  },
  async (c) => {
    const id = await anyId(c, 'scraper_results');
    if (id) await c.query(`UPDATE scraper_results SET content = ${big('random()::text')}, http_status = 404 WHERE id = $1`, [id]);
  },
  async (c) => {
    await c.query(`INSERT INTO conversations (id, user_id, title, created_at) VALUES (gen_random_uuid(), 1, 'ü', clock_timestamp()::timestamp)`);
  },
  async (c) => {
    const id = await anyId(c, 'establishment_guides');
    if (id) await c.query(`UPDATE establishment_guides SET required_documents = ARRAY['a,b', NULL, '"q"', '\\'], updated_at = clock_timestamp()::timestamp WHERE id = $1`, [id]);
  },
  async (c) => {
    await c.query(`UPDATE scraper_schedules SET enabled = NOT enabled, next_run_at = clock_timestamp()::timestamp WHERE id = (SELECT id FROM scraper_schedules ORDER BY random() LIMIT 1)`);
  },
  async (c) => {
    await c.query(`UPDATE assistant_memory SET value = '{"n": 1}', updated_at = clock_timestamp()::timestamp WHERE id = (SELECT id FROM assistant_memory ORDER BY random() LIMIT 1)`);
  },
];

export function startWorkload(legacyUrl: string, seed = 1): Workload {
  const own: OwnRows = { users: [], documents: [] };
  return startWriteLoop(
    legacyUrl,
    async (client, rng) => {
      const r = (): number => rng.next();
      const steps = 1 + Math.floor(r() * 3);
      for (let i = 0; i < steps; i += 1) await pick(r, STEPS)(client, r, own);
      if (r() < 0.02) await client.query(`INSERT INTO activity_logs (actor_user_id, action, entity) SELECT g, 'bulk', 'scraper_bulk' FROM generate_series(1, 300) g`);
    },
    { seed },
  );
}
