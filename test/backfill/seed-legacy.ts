import pg from 'pg';

/**
 * Fills an empty legacy monolith with `scale` × a few rows per table, every kind of row the
 * mappings meet, with the value traps: microsecond timestamps, bigints beyond 2^53 (keys too),
 * numeric(12,2) at its limits, TOASTed text > 8 kB (incompressible), text[] with commas, quotes,
 * backslashes, braces, empty strings and NULL, jsonb, uuids, and non-ASCII text. Pure SQL
 * (generate_series), so a large seed takes seconds.
 */
export async function seedLegacy(legacyUrl: string, scale: number): Promise<void> {
  const n = Math.max(10, Math.round(scale));
  const client = new pg.Client(legacyUrl);
  await client.connect();
  try {
    await client.query(seedSql(n));
  } finally {
    await client.end();
  }
}

/** 12.8 kB of md5 text: too big for a page and not compressible below it, so TOASTed out of line. */
export const big = (seed: string): string => `(SELECT string_agg(md5(${seed} || ':' || k), '') FROM generate_series(1, 400) k)`;

const TS = (g: string): string => `(timestamp '2020-01-01' + (${g}) * interval '1 hour 1.000001 second')`;

function seedSql(n: number): string {
  return `
INSERT INTO roles (id, name, permissions, created_at) VALUES
  (1, 'admin', '["*", {"nested": "Ω ✓ 🚀"}]', '2024-02-29 23:59:59.999999'),
  (2, 'user', '[]', '1999-12-31 00:00:00.000001'),
  (3, 'support "quoted"', '{"a": [1, 2.50, null]}', '2021-01-01 00:00:00'),
  (4, 'ämter', '[]', '2022-02-02 02:02:02.020202'),
  (5, 'viewer', '["read"]', '2023-03-03 03:03:03');

INSERT INTO users (id, email, password_hash, role_id, full_name, phone, company_name, nationality, avatar_url, bio, is_active, last_login_at, created_at, updated_at)
SELECT g, 'user' || g || '@example.ae', md5(g::text), 1 + g % 5,
       CASE g % 4 WHEN 0 THEN 'محمد ' || g WHEN 1 THEN 'Zoë "Z" O''Neil ' || g WHEN 2 THEN NULL ELSE 'e' || chr(769) || ' 𝔘 ' || g END,
       CASE WHEN g % 3 = 0 THEN '+971 ' || g END, 'ACME, Inc. ' || g % 7, CASE WHEN g % 2 = 0 THEN 'AE' END,
       CASE WHEN g % 5 = 0 THEN 'https://cdn/x/' || g || '.png' END,
       CASE WHEN g % 9 = 0 THEN ${big('g')} ELSE 'bio ' || g END,
       g % 11 <> 0, CASE WHEN g % 2 = 0 THEN ${TS('g * 7')} END, ${TS('g')}, ${TS('g + 1')}
  FROM generate_series(1, ${n}) g;

INSERT INTO sessions (id, user_id, token_hash, expires_at)
SELECT md5('s' || g)::uuid, 1 + g % ${n}, md5(g::text), ${TS('g')} FROM generate_series(1, 20) g;

INSERT INTO free_zones (id, slug, name, emirate, description, website, benefits, setup_cost_min, setup_cost_max, created_at, updated_at)
SELECT g, 'zone-' || g, 'Zone ' || g, (ARRAY['Dubai', 'Abu Dhabi', 'Sharjah', 'رأس الخيمة'])[1 + g % 4],
       CASE WHEN g % 2 = 0 THEN 'desc ' || g END, CASE WHEN g % 3 = 0 THEN 'https://zone' || g || '.ae' END,
       CASE g % 4 WHEN 0 THEN E'  100% ownership \\r\\n\\n\\t zero tax\\t\\n' WHEN 1 THEN NULL WHEN 2 THEN E'one\\ntwo, "three"\\n  {four}  ' ELSE E'\\n\\n' END,
       CASE WHEN g % 5 <> 0 THEN (g * 1234.5)::numeric(12,2) END, CASE WHEN g = 1 THEN 9999999999.99 WHEN g % 5 <> 0 THEN (g * 99999.99)::numeric(12,2) END,
       ${TS('g')}, CASE WHEN g % 2 = 0 THEN ${TS('g * 2')} END
  FROM generate_series(1, 20) g;

INSERT INTO business_activities (id, free_zone_id, code, name, description, category, category_description, is_regulated, approval_authority, created_at)
SELECT g, 1 + g % 20, 'A' || g, 'Activity ' || g, CASE WHEN g % 2 = 0 THEN 'd' || g END,
       (ARRAY['  Food & Beverage!! ', '--IT / Software--', 'Ärzte', 'Trading', 'trading', 'Consulting & Advisory'])[1 + g % 6],
       CASE WHEN g % 6 = 0 THEN 'F&B' END, g % 3 = 0, CASE WHEN g % 3 = 0 THEN 'DED' END, ${TS('g')}
  FROM generate_series(1, ${Math.ceil(n / 2)}) g;

INSERT INTO establishment_guides (id, free_zone_id, entity_type, title, steps, required_documents, estimated_days, updated_at)
SELECT g, CASE WHEN g % 7 <> 0 THEN 1 + g % 20 END, 'LLC', 'Guide ' || g, jsonb_build_array(jsonb_build_object('step', g, 'text', 'ü "q"')),
       CASE g % 3 WHEN 0 THEN ARRAY['passport, copy', 'say "hi"', NULL, '', 'back\\slash', '{braces}'] WHEN 1 THEN '{}'::text[] ELSE ARRAY['NULL', 'x y'] END,
       CASE WHEN g % 2 = 0 THEN g END, ${TS('g')}
  FROM generate_series(1, 50) g;

INSERT INTO documents (id, user_id, title, file_name, mime_type, size_bytes, storage_key, document_type, is_template, template_fields, created_at, updated_at)
SELECT g, CASE WHEN g % 4 <> 0 THEN 1 + g % ${n} END, 'Doc ' || g || ' ✓', 'f' || g || '.pdf', 'application/pdf',
       CASE g % 3 WHEN 0 THEN 9007199254740993 + g WHEN 1 THEN NULL ELSE g END, 's3://bucket/' || g,
       (ARRAY['  Trade_LICENSE ', 'passport', 'visa_application', 'VISA_application', 'Emirates_ID'])[1 + g % 5],
       g % 10 = 0, CASE WHEN g % 20 = 0 THEN jsonb_build_array(jsonb_build_object('name', 'f' || g)) END,
       ${TS('g')}, CASE WHEN g % 2 = 1 THEN ${TS('g + 3')} END
  FROM generate_series(1, ${2 * n}) g;

INSERT INTO template_submissions (id, template_id, user_id, data, status, submitted_at)
SELECT g, 10 * (1 + g % ${Math.floor((2 * n) / 10)}), 1 + g % ${n}, jsonb_build_object('a', 1.50, 'b', g, 'u', 'نعم'), (ARRAY['new', 'done'])[1 + g % 2], ${TS('g')}
  FROM generate_series(1, ${Math.ceil(n / 2)}) g;

INSERT INTO business_setup (id, user_id, free_zone_id, activity_ids, entity_type, status)
SELECT g, 1 + g % ${n}, 1 + g % 20, ARRAY[g, g + 1], 'LLC', 'draft' FROM generate_series(1, 20) g;

INSERT INTO conversations (id, user_id, title, model, created_at, updated_at)
SELECT md5('c' || g)::uuid, CASE WHEN g % 5 <> 0 THEN 1 + g % ${n} END, 'Chat ' || g, 'gpt', ${TS('g')}, NULL
  FROM generate_series(1, ${Math.ceil(n / 5)}) g;

INSERT INTO messages (id, conversation_id, role, content, tokens, created_at)
SELECT g, md5('c' || (1 + g % ${Math.ceil(n / 5)}))::uuid, (ARRAY['user', 'assistant'])[1 + g % 2],
       CASE WHEN g % 7 = 0 THEN ${big('g')} ELSE 'hello, "world" \\ ü ' || g END, CASE WHEN g % 3 <> 0 THEN g END, ${TS('g')}
  FROM generate_series(1, ${n}) g;

INSERT INTO assistant_memory (id, user_id, key, value, updated_at)
SELECT g, 1 + g % ${n}, 'k' || g, to_jsonb('v' || g), ${TS('g')} FROM generate_series(1, ${Math.ceil(n / 2)}) g;

INSERT INTO ai_training_data (id, source, input, output, tags, created_at)
SELECT g, CASE WHEN g % 2 = 0 THEN 'src' END, 'in ' || g, 'out ' || g,
       (ARRAY[' a, b ,, c d ,', NULL, 'x', E'\\ttab ,\\nnl', '"q", {b}'])[1 + g % 5], ${TS('g')}
  FROM generate_series(1, ${n}) g;

INSERT INTO research_topics (id, user_id, topic, status, result, created_at, updated_at)
SELECT g, 1 + g % ${n}, 'topic ' || g, 'done', CASE WHEN g % 2 = 0 THEN '{"k": null}'::jsonb END, ${TS('g')}, NULL FROM generate_series(1, 50) g;

INSERT INTO web_research_items (id, topic_id, url, title, content, fetched_at)
SELECT g, 1 + g % 50, 'https://x/' || g, 't' || g, CASE WHEN g % 5 = 0 THEN ${big('g')} ELSE 'c' || g END, ${TS('g')}
  FROM generate_series(1, ${Math.ceil(n / 2)}) g;

INSERT INTO scraper_tasks (id, url, free_zone_id, kind, status, created_at, updated_at)
SELECT g, 'https://zone/' || g, 1 + g % 20, 'list', 'new', ${TS('g')}, NULL FROM generate_series(1, 50) g;

INSERT INTO scraper_results (id, task_id, http_status, content, extracted, scraped_at)
SELECT g, 1 + g % 50, 200, CASE WHEN g % 6 = 0 THEN ${big('g')} ELSE '<html>' || g END, '{}'::jsonb, ${TS('g')}
  FROM generate_series(1, ${Math.ceil(n / 2)}) g;

INSERT INTO scraper_schedules (id, task_id, cron, enabled, next_run_at)
SELECT g, 1 + g % 50, '*/5 * * * *', g % 2 = 0, ${TS('g')} FROM generate_series(1, 50) g;

INSERT INTO activity_logs (id, actor_user_id, action, entity, entity_id, details, created_at)
SELECT g, 1 + g % ${n}, 'act', (ARRAY['scraper_task', 'user', 'Scraper', 'scraper', 'document'])[1 + g % 5], g::text,
       CASE WHEN g % 2 = 0 THEN jsonb_build_object('ok', true) END, ${TS('g')}
  FROM generate_series(1, ${2 * n}) g;
INSERT INTO activity_logs (id, actor_user_id, action, entity) VALUES (9007199254740993, 1, 'huge', 'scraper_task'), (9007199254740994, 1, 'huge', 'user');

SELECT setval(pg_get_serial_sequence('public.' || t, 'id'), (SELECT max(id) FROM public.users) + 1000000)
  FROM unnest(ARRAY['roles', 'users', 'free_zones', 'business_activities', 'establishment_guides', 'documents', 'template_submissions',
                    'business_setup', 'messages', 'assistant_memory', 'ai_training_data', 'research_topics', 'web_research_items',
                    'scraper_tasks', 'scraper_results', 'scraper_schedules']) t;
SELECT setval(pg_get_serial_sequence('public.activity_logs', 'id'), 9007199254740994);
`;
}
