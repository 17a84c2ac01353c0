import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LEGACY_TABLES, legacySchemaSql } from '../../mappings/legacy/schema.js';
import { startWorkload, type WorkloadError } from '../../tools/workload/live-workload.js';
import { seedLegacy, seedRowCounts } from '../../tools/workload/seed.js';
import { createEmptyDatabase, createTestDatabases, type TestDatabases } from '../harness/databases.js';

let dbs: TestDatabases;
let legacy: pg.Client;

async function one<T>(sql: string): Promise<T> {
  const row = (await legacy.query(sql)).rows[0] as Record<string, T>;
  return Object.values(row)[0] as T;
}

beforeAll(async () => {
  dbs = await createTestDatabases({ migrated: false });
  legacy = new pg.Client(dbs.legacyUrl);
  await legacy.connect();
  await seedLegacy(legacy, { scale: 1 });
});

afterAll(async () => {
  await legacy?.end();
  await dbs?.drop();
});

describe('seedLegacy', () => {
  test('fills every legacy table with the planned number of rows', async () => {
    const expected = seedRowCounts(1);
    for (const table of LEGACY_TABLES) {
      expect(Number(await one<string>(`SELECT count(*) FROM public.${table}`)), table).toBe(expected[table]);
    }
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2_000);
    expect(total).toBeLessThan(10_000);
    // Sequences continue after the explicit ids, as the application's inserts need.
    expect(await one<string>(`SELECT nextval('public.users_id_seq')::text`)).toBe(String(expected.users + 1));
  });

  test('contains the value traps', async () => {
    const traps: Record<string, string> = {
      'timestamps with microseconds': `SELECT count(*) > 0 FROM public.users WHERE extract(microseconds FROM created_at)::bigint % 1000 <> 0`,
      'size_bytes beyond 2^53': `SELECT count(*) > 0 FROM public.documents WHERE size_bytes::text = '9007199254740993'`,
      'activity_logs ids beyond 2^53, scraper rows': `SELECT count(*) = 2 FROM public.activity_logs WHERE id > 9007199254740992 AND entity LIKE 'scraper%'`,
      'numeric(12,2) edge amounts': `SELECT count(*) > 0 FROM public.free_zones WHERE setup_cost_max::text IN ('9999999999.99', '0.01') OR setup_cost_min::text IN ('9999999999.99', '0.01')`,
      'messages over 8 kB, stored incompressed': `SELECT count(*) > 0 FROM public.messages WHERE octet_length(content) > 8192 AND pg_column_size(content) > 0.9 * octet_length(content)`,
      'web research content over 8 kB': `SELECT count(*) > 0 FROM public.web_research_items WHERE octet_length(content) > 8192`,
      'messages TOASTed out of line': `SELECT pg_relation_size(reltoastrelid) > 500000 FROM pg_class WHERE oid = 'public.messages'::regclass`,
      'text[] with commas, quotes and NULLs': `SELECT count(*) > 0 FROM public.establishment_guides WHERE array_position(required_documents, NULL) IS NOT NULL
         AND EXISTS (SELECT 1 FROM unnest(required_documents) e WHERE e LIKE '%,%') AND EXISTS (SELECT 1 FROM unnest(required_documents) e WHERE e LIKE '%"%')`,
      'nested jsonb with unicode': `SELECT count(*) > 0 FROM public.establishment_guides WHERE jsonb_typeof(steps->0->'details') = 'object' AND steps::text ~ '[^\\x01-\\x7f]'`,
      'jsonb numbers beyond 2^53': `SELECT count(*) > 0 FROM public.documents WHERE template_fields::text LIKE '%123456789012345678901234567890%'`,
      'Arabic text': `SELECT count(*) > 0 FROM public.users WHERE full_name ~ '[\u0600-\u06ff]'`,
      'emoji': `SELECT count(*) > 0 FROM public.users WHERE bio ~ '[\U0001F300-\U0001FAFF]'`,
      'combining characters': `SELECT count(*) > 0 FROM public.users WHERE full_name <> normalize(full_name, NFC)`,
      'category slug collisions': `SELECT count(DISTINCT category) > count(DISTINCT trim('-' FROM lower(regexp_replace(trim(category), '[^a-zA-Z0-9]+', '-', 'g')))) FROM public.business_activities`,
      'benefits with CRLF': `SELECT count(*) > 0 FROM public.free_zones WHERE benefits LIKE E'%\\r\\n%'`,
      'benefits with blank lines and trailing spaces': `SELECT count(*) > 0 FROM public.free_zones WHERE benefits ~ E'\\n[ \\t]*\\r?\\n' OR benefits ~ E' +\\r?\\n'`,
      'comma tags with empty items': `SELECT count(*) > 0 FROM public.ai_training_data WHERE tags LIKE '%,,%' OR tags LIKE '%, ,%'`,
      'document types with odd case and spaces': `SELECT count(*) > 0 FROM public.documents WHERE document_type <> lower(trim(document_type))`,
      'templates and non-templates': `SELECT count(DISTINCT is_template) = 2 FROM public.documents`,
      'templates without template_fields': `SELECT count(*) > 0 FROM public.documents WHERE is_template AND template_fields IS NULL`,
      'system files without a user': `SELECT count(*) > 0 FROM public.documents WHERE NOT is_template AND user_id IS NULL`,
      'activity logs in and out of the scraper filter': `SELECT count(DISTINCT entity LIKE 'scraper%') = 2 FROM public.activity_logs`,
      'look-alike entities outside the filter': `SELECT count(*) > 0 FROM public.activity_logs WHERE entity IN ('Scraper', ' scraper')`,
    };
    const missing: string[] = [];
    for (const [name, sql] of Object.entries(traps)) if ((await one<boolean>(sql)) !== true) missing.push(name);
    expect(missing).toEqual([]);
  });

  test('is deterministic for a seed', async () => {
    const digest = async (url: string): Promise<string> => {
      const client = new pg.Client(url);
      await client.connect();
      try {
        await client.query(legacySchemaSql());
        await seedLegacy(client, { scale: 0.1, seed: 42 });
        const parts: string[] = [];
        for (const table of LEGACY_TABLES) {
          parts.push(((await client.query(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM public.${table} t`)).rows[0] as { h: string }).h);
        }
        return parts.join(',');
      } finally {
        await client.end();
      }
    };
    const [a, b] = [await digest(await createEmptyDatabase(dbs.adminUrl)), await digest(await createEmptyDatabase(dbs.adminUrl))];
    expect(a).toBe(b);
  });
});

describe('startWorkload', () => {
  test('writes to every table group without foreign-key errors, and restrict() freezes tables', async () => {
    const errors: WorkloadError[] = [];
    const workload = startWorkload(dbs.legacyUrl, { ratePerSecond: 150, connections: 2, seed: 7, onError: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 1_500));
    // Freeze the document service's tables, as a cutover would.
    await workload.restrict(LEGACY_TABLES.filter((t) => t !== 'documents' && t !== 'template_submissions'));
    const frozen = workload.stats().tables;
    // restrict() also made the workload's connections publish their statistics: the write
    // counters a cutover watches include every write made before, and do not move afterwards.
    const counters = `SELECT string_agg(relname || ':' || n_tup_ins || '/' || n_tup_upd || '/' || n_tup_del, ' ' ORDER BY relname) FROM pg_stat_user_tables WHERE relname IN ('documents', 'template_submissions')`;
    const countersAtFreeze = await one<string>(counters);
    await new Promise((r) => setTimeout(r, 700));
    const stats = await workload.stop();
    expect(await one<string>(counters)).toBe(countersAtFreeze);

    expect(errors).toEqual([]);
    expect(stats.errors).toBe(0);
    expect(stats.transactions).toBeGreaterThan(50);
    const wrote = (tables: readonly string[]): boolean => tables.some((t) => {
      const c = stats.tables[t as keyof typeof stats.tables];
      return c !== undefined && c.inserted + c.updated + c.deleted > 0;
    });
    const groups: Record<string, readonly string[]> = {
      user: ['roles', 'users'],
      document: ['documents', 'template_submissions'],
      freezone: ['free_zones', 'business_activities', 'establishment_guides'],
      'ai-research': ['conversations', 'messages', 'assistant_memory', 'ai_training_data', 'research_topics', 'web_research_items'],
      scraper: ['scraper_tasks', 'scraper_results', 'scraper_schedules', 'activity_logs'],
      unmapped: ['sessions', 'business_setup'],
    };
    for (const [group, tables] of Object.entries(groups)) expect(wrote(tables), group).toBe(true);
    expect(stats.tables.users?.inserted).toBeGreaterThan(0);
    expect(stats.tables.users?.updated).toBeGreaterThan(0);
    expect(stats.tables.messages?.inserted).toBeGreaterThan(0);
    expect(stats.tables.activity_logs?.updated).toBeGreaterThan(0);
    expect(stats.tables.documents).toEqual(frozen.documents);
    expect(stats.tables.template_submissions).toEqual(frozen.template_submissions);
    // The legacy foreign keys still hold (the workload deleted children before parents).
    expect(await one<string>(`SELECT count(*) FROM public.messages m LEFT JOIN public.conversations c ON c.id = m.conversation_id WHERE c.id IS NULL`)).toBe('0');
  });

  test('stops on its signal', async () => {
    const controller = new AbortController();
    const workload = startWorkload(dbs.legacyUrl, { ratePerSecond: 50, connections: 1, signal: controller.signal, tables: ['activity_logs'] });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    const stats = await workload.stop();
    expect(Object.keys(stats.tables)).toEqual(['activity_logs']);
  });
});
