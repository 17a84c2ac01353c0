import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from './sidecar-fixture.js';

/**
 * Changes of every kind to every mapped legacy table, checked against the oracle written from
 * monolith.md (test/oracle), which knows nothing of pgcarve's mapping code.
 */
let dbs: TestDatabases;
let running: RunningSidecar;

const BIG = (seed: string): string => `(SELECT string_agg(md5('${seed}' || g), '') FROM generate_series(1, 400) g)`; // 12.8 kB, incompressible

async function legacy(sql: string): Promise<void> {
  await query(dbs.legacyUrl, sql);
}

async function expectExact(): Promise<void> {
  await running.sync();
  expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
}

beforeAll(async () => {
  dbs = await createTestDatabases();
  running = await startSidecar(dbs);
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

describe('every kind of change to every mapped table', () => {
  it('inserts, with the value traps', async () => {
    await legacy(`
      INSERT INTO roles (id, name, permissions, created_at) VALUES
        (1, 'admin', '["*", {"nested": "Ω ✓ 🚀"}]', '2024-02-29 23:59:59.999999'),
        (2, 'user', '[]', '1999-12-31 00:00:00.000001');
      INSERT INTO users (id, email, password_hash, role_id, full_name, phone, company_name, nationality, avatar_url, bio, is_active, last_login_at, created_at, updated_at) VALUES
        (1, 'a@x.ae', 'h1', 1, 'Ä Ö ü 🙂', '+971', 'ACME "quoted"', 'AE', null, ${BIG('bio1')}, true, null, '2024-01-01 00:00:00.5', '2024-01-01 00:00:00.5'),
        (2, 'b@x.ae', 'h2', 2, 'محمد', null, null, null, 'http://a/b.png', 'short', false, '2024-03-03 03:03:03.030303', '2024-01-02 00:00:00', '2024-01-02 00:00:00');
      INSERT INTO free_zones (id, slug, name, emirate, description, website, benefits, setup_cost_min, setup_cost_max, created_at, updated_at) VALUES
        (1, 'dmcc', 'DMCC', 'Dubai', null, null, E'  100% ownership \\r\\n\\n\\t zero tax\\t\\n', 12345678.90, 9999999999.99, '2023-05-05 05:05:05.123', null),
        (2, 'ifza', 'IFZA', 'Dubai', 'x', null, null, null, null, null, null);
      INSERT INTO business_activities (id, free_zone_id, code, name, category, category_description, is_regulated, approval_authority, created_at) VALUES
        (1, 1, 'A1', 'Trading', '  Food & Beverage!! ', 'F&B', true, 'DED', '2024-01-01 01:01:01.000001'),
        (2, 1, 'A2', 'Consulting', '--IT / Software--', null, false, null, null),
        (3, 2, 'A1', 'Other', 'Ärzte', null, false, null, null);
      INSERT INTO establishment_guides (id, free_zone_id, entity_type, title, steps, required_documents, estimated_days, updated_at) VALUES
        (1, 1, 'LLC', 'Guide', '[{"step": 1}]', ARRAY['passport, copy', 'say "hi"', NULL, '', 'back\\slash', '{braces}'], 14, '2024-06-06 06:06:06.666666');
      INSERT INTO documents (id, user_id, title, file_name, mime_type, size_bytes, storage_key, document_type, is_template, template_fields, created_at, updated_at) VALUES
        (1, 1, 'Passport', 'p.pdf', 'application/pdf', 9007199254740993, 's3://k1', '  Trade_LICENSE ', false, null, '2024-01-01 00:00:00.000001', null),
        (2, null, 'System file', null, null, 9223372036854775807, null, 'system', false, null, null, null),
        (3, null, 'Template A', null, null, null, null, 'visa_application', true, '[{"name": "f1"}]', null, null),
        (4, 2, 'Template B', null, null, null, null, 'VISA_application', true, null, null, null);
      INSERT INTO template_submissions (id, template_id, user_id, data, status, submitted_at) VALUES (1, 3, 1, '{"a": 1.50, "b": [1, 2]}', 'new', '2024-07-07 07:07:07.070707');
      INSERT INTO conversations (id, user_id, title, model, created_at, updated_at) VALUES ('6f1c9a3e-0000-4000-8000-000000000001', 1, 'c', 'gpt', '2024-01-01 00:00:00.123456', null);
      INSERT INTO messages (id, conversation_id, role, content, tokens, created_at) VALUES
        (1, '6f1c9a3e-0000-4000-8000-000000000001', 'user', ${BIG('m1')}, 10, '2024-01-01 00:00:01'),
        (2, '6f1c9a3e-0000-4000-8000-000000000001', 'assistant', 'e\u0301 combining, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', null, null);
      INSERT INTO assistant_memory (id, user_id, key, value, updated_at) VALUES (1, 1, 'lang', '"ar"', null);
      INSERT INTO ai_training_data (id, source, input, output, tags, created_at) VALUES
        (1, 's', 'in', 'out', ' a, b ,, c d ,', null), (2, null, 'i', 'o', null, null);
      INSERT INTO research_topics (id, user_id, topic, status, result, created_at, updated_at) VALUES (1, 1, 'tax', 'done', '{"k": null}', null, null);
      INSERT INTO web_research_items (id, topic_id, url, title, content, fetched_at) VALUES (1, 1, 'http://x', 't', ${BIG('w1')}, null);
      INSERT INTO scraper_tasks (id, url, free_zone_id, kind, status, created_at, updated_at) VALUES (1, 'http://dmcc', 1, 'list', 'new', null, null);
      INSERT INTO scraper_results (id, task_id, http_status, content, extracted, scraped_at) VALUES (1, 1, 200, 'html', '{}', '2024-01-01 00:00:00');
      INSERT INTO scraper_schedules (id, task_id, cron, enabled, next_run_at) VALUES (1, 1, '* * * * *', true, null), (2, 1, '0 * * * *', false, null);
      INSERT INTO activity_logs (id, actor_user_id, action, entity, entity_id, details, created_at) VALUES
        (1, 1, 'run', 'scraper_task', '1', '{"ok": true}', null), (2, 1, 'login', 'user', '1', null, null), (3, null, 'x', 'Scraper', null, null, null);
      INSERT INTO sessions (id, user_id, token_hash, expires_at) VALUES ('6f1c9a3e-0000-4000-8000-0000000000ff', 1, 't', now());
      INSERT INTO business_setup (id, user_id, free_zone_id, activity_ids, entity_type, status) VALUES (1, 1, 1, '{1,2}', 'LLC', 'draft');
    `);
    await expectExact();
    const [doc] = await query<{ size_bytes: string }>(dbs.serviceUrls.document_db, 'SELECT size_bytes::text FROM documents WHERE id = 2');
    expect(doc?.size_bytes).toBe('9223372036854775807');
  });

  it('updates: plain, unchanged TOAST, filter exits and entries, template flips, key changes', async () => {
    await legacy(`
      UPDATE users SET last_login_at = '2025-01-01 12:00:00.654321', updated_at = '2025-01-01 12:00:00.654321' WHERE id = 1; -- bio is TOASTed and unchanged
      UPDATE users SET email = 'b@x.ae.tmp' WHERE id = 2;
      BEGIN; UPDATE users SET email = 'swap' WHERE id = 1; UPDATE users SET email = 'a@x.ae' WHERE id = 2; UPDATE users SET email = 'b@x.ae' WHERE id = 1; COMMIT;
      UPDATE messages SET tokens = 99 WHERE id = 1; -- content TOASTed and unchanged
      UPDATE web_research_items SET title = 'new title' WHERE id = 1;
      UPDATE documents SET is_template = true, template_fields = '[{"x": 1}]' WHERE id = 1; -- becomes a template
      UPDATE documents SET is_template = false WHERE id = 4; -- template becomes a document, user_id 2
      UPDATE documents SET user_id = 2 WHERE id = 2; -- gains a user
      UPDATE activity_logs SET entity = 'user' WHERE id = 1; -- leaves the filter
      UPDATE activity_logs SET entity = 'scraper_result' WHERE id = 2; -- enters it
      UPDATE free_zones SET benefits = E'one\\ntwo' WHERE id = 2;
      UPDATE business_activities SET category = 'New Category' WHERE id = 2;
      UPDATE ai_training_data SET tags = 'x' WHERE id = 2;
      UPDATE scraper_tasks SET id = 10 WHERE id = 1 AND false; -- no-op
    `);
    // Primary-key changes (of rows nothing references in the legacy database).
    await legacy(`
      INSERT INTO roles (id, name, permissions) VALUES (5, 'tmp', '[]');
      UPDATE roles SET id = 6, name = 'moved' WHERE id = 5;
      UPDATE research_topics SET id = 7 WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM web_research_items WHERE topic_id = 1);
      UPDATE assistant_memory SET id = 8, value = '"en"' WHERE id = 1;
    `);
    await expectExact();
    const [user] = await query<{ bio_length: number; last_login_at: string }>(dbs.serviceUrls.user_db, 'SELECT length(p.bio) AS bio_length, u.last_login_at::text FROM users u JOIN user_profiles p ON p.user_id = u.id WHERE u.id = 1');
    expect(user).toEqual({ bio_length: 12_800, last_login_at: '2025-01-01 12:00:00.654321+00' });
    const [message] = await query<{ n: number; tokens: number }>(dbs.serviceUrls.ai_research_db, 'SELECT length(content) AS n, tokens FROM messages WHERE id = 1');
    expect(message).toEqual({ n: 12_800, tokens: 99 });
  });

  it('deletes, including rows with owned rows in several tables', async () => {
    await legacy(`
      DELETE FROM template_submissions WHERE id = 1;
      DELETE FROM documents WHERE id IN (1, 2, 4);
      DELETE FROM messages WHERE id = 2;
      DELETE FROM activity_logs WHERE id = 3;
      DELETE FROM sessions;
    `);
    await expectExact();
    // Reference rows stay after their documents go.
    const codes = await query<{ code: string }>(dbs.serviceUrls.document_db, 'SELECT code FROM document_types ORDER BY code');
    expect(codes.map((r) => r.code)).toEqual(['system', 'trade_license', 'visa_application']);
  });

  it('rolled-back transactions and savepoints', async () => {
    await legacy(`
      BEGIN; INSERT INTO roles (id, name) VALUES (100, 'never'); ROLLBACK;
      BEGIN;
        INSERT INTO roles (id, name) VALUES (101, 'kept');
        SAVEPOINT s1; INSERT INTO roles (id, name) VALUES (102, 'rolled back'); UPDATE roles SET name = 'not this' WHERE id = 101; ROLLBACK TO SAVEPOINT s1;
        SAVEPOINT s2; UPDATE roles SET name = 'kept and renamed' WHERE id = 101; RELEASE SAVEPOINT s2;
      COMMIT;
    `);
    await expectExact();
    const names = await query<{ name: string }>(dbs.serviceUrls.user_db, 'SELECT name FROM roles WHERE id >= 100');
    expect(names).toEqual([{ name: 'kept and renamed' }]);
  });

  it('truncate of mapped tables (owned rows go, reference rows stay)', async () => {
    await legacy(`
      TRUNCATE scraper_schedules;
      TRUNCATE ai_training_data RESTART IDENTITY;
      TRUNCATE business_activities;
    `);
    await expectExact();
    const categories = await query(dbs.serviceUrls.freezone_db, 'SELECT slug FROM business_activity_categories');
    expect(categories.length).toBeGreaterThan(0);
    await legacy(`INSERT INTO scraper_schedules (id, task_id, cron) VALUES (9, 1, '@daily'); INSERT INTO ai_training_data (input, output) VALUES ('again', 'x');`);
    await expectExact();
  });

  it('many transactions in quick succession keep commit order', async () => {
    const statements: string[] = [`SELECT setval('scraper_results_id_seq', 1000)`];
    for (let i = 0; i < 200; i += 1) {
      statements.push(`UPDATE scraper_tasks SET status = 's${i}' WHERE id = 1`);
      if (i % 3 === 0) statements.push(`INSERT INTO scraper_results (task_id, http_status) VALUES (1, ${i})`);
      if (i % 7 === 0) statements.push(`DELETE FROM scraper_results WHERE id = (SELECT min(id) FROM scraper_results)`);
    }
    await legacy(statements.join(';\n'));
    await expectExact();
    const [task] = await query<{ status: string }>(dbs.serviceUrls.scraper_db, 'SELECT status FROM scraper_tasks WHERE id = 1');
    expect(task?.status).toBe('s199');
  });
});
