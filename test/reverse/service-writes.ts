import type { ServiceName } from '../../mappings/services.js';

/**
 * Writes a cut-over service makes to its own database, for every owned table: inserts, updates,
 * key changes and deletes, with value traps (µs and BC timestamps, bigints past 2^53, unicode,
 * empty arrays, nulls, TOASTed text). Each string runs as one transaction. They respect the
 * legacy foreign keys (what the legacy database cannot hold, the reverse stream refuses).
 */
export const SERVICE_WRITES: Readonly<Record<ServiceName, readonly string[]>> = {
  user_db: [
    `INSERT INTO roles (id, name, permissions, created_at) VALUES (100, 'reverse role ü', '["a", {"b": 1.50}]', '2024-02-29 23:59:59.999999+00')`,
    `UPDATE roles SET name = 'reverse role 東京' WHERE id = 100`,
    `INSERT INTO users (id, email, password_hash, role_id, is_active, last_login_at, created_at, updated_at) VALUES (1000, 'r1@example.test', 'h', 100, true, '2024-01-01 00:00:00.000001+00', '0044-03-15 12:00:00.25+00 BC', '2024-05-05 05:05:05.5+00');
     INSERT INTO user_profiles (user_id, full_name, bio, updated_at) VALUES (1000, 'Zoë 東京 🏙️', E'line\\nline "q" \\\\', '2024-05-05 05:05:05.5+00')`,
    // A profile written before its user in the same transaction.
    `INSERT INTO user_profiles (user_id, full_name, updated_at) VALUES (1001, 'first', '2024-05-05 05:05:05.5+00');
     INSERT INTO users (id, email, password_hash, role_id, created_at, updated_at) VALUES (1001, 'r2@example.test', 'h', 1, '2024-01-01 00:00:00+00', '2024-05-05 05:05:05.5+00')`,
    `UPDATE users SET email = 'r1b@example.test', is_active = false WHERE id = 1000`,
    `UPDATE user_profiles SET phone = '+971 4', company_name = NULL WHERE user_id = 1000`,
    `UPDATE users SET id = 1002 WHERE id = 1001; UPDATE user_profiles SET user_id = 1002 WHERE user_id = 1001`,
    `UPDATE users SET last_login_at = '2025-01-01 00:00:00+00', updated_at = '2025-01-01 00:00:00+00' WHERE id = 1; UPDATE user_profiles SET updated_at = '2025-01-01 00:00:00+00', bio = NULL WHERE user_id = 1`,
    // An insert without an id: the service's own sequence (set past the largest key at cutover).
    `INSERT INTO users (email, password_hash, role_id, created_at, updated_at) VALUES ('seq@example.test', 'h', 2, now(), '2024-05-05 05:05:05.5+00');
     INSERT INTO user_profiles (user_id, full_name, updated_at) SELECT id, 'seq', '2024-05-05 05:05:05.5+00' FROM users WHERE email = 'seq@example.test'`,
    `DELETE FROM user_profiles WHERE user_id = 1002; DELETE FROM users WHERE id = 1002`,
    `INSERT INTO roles (id, name, created_at) VALUES (101, 'gone', now()); DELETE FROM roles WHERE id = 101`,
  ],
  document_db: [
    `INSERT INTO document_types (code, name) VALUES ('reverse_type', 'Reverse Type') ON CONFLICT DO NOTHING`,
    `INSERT INTO documents (id, title, file_name, size_bytes, document_type_code, created_at, updated_at) VALUES (9007199254740993, 'big ü', 'f.pdf', 9007199254740993, 'reverse_type', '2024-02-29 23:59:59.999999+00', '2024-03-01 00:00:00+00');
     INSERT INTO user_documents (document_id, user_id) VALUES (9007199254740993, 1)`,
    `UPDATE documents SET title = 'big 東京', mime_type = 'application/pdf' WHERE id = 9007199254740993`,
    `UPDATE user_documents SET user_id = 2 WHERE document_id = 9007199254740993`,
    `INSERT INTO document_templates (id, title, document_type_code, fields, created_at, updated_at) VALUES (5000, 'template', 'reverse_type', '[{"f": 1.50}]', now(), NULL)`,
    `INSERT INTO template_submissions (id, template_id, user_id, data, status, submitted_at) VALUES (7000, 5000, 1, '{"x": "ü"}', 'new', '2024-01-01 00:00:00.000001+00')`,
    `UPDATE template_submissions SET status = 'done' WHERE id = 7000`,
    // A document becomes a template (delete first) and a template becomes a document (insert first).
    `INSERT INTO documents (id, title, document_type_code, created_at, updated_at) VALUES (5001, 'moving', 'reverse_type', now(), now());
     INSERT INTO document_templates (id, title, document_type_code, fields, created_at, updated_at) VALUES (5002, 'moving back', 'reverse_type', '[]', now(), now())`,
    `DELETE FROM documents WHERE id = 5001; INSERT INTO document_templates (id, title, document_type_code, fields, created_at, updated_at) VALUES (5001, 'moved', 'reverse_type', '[]', now(), now())`,
    `INSERT INTO documents (id, title, document_type_code, created_at, updated_at) VALUES (5002, 'moved back', 'reverse_type', now(), now()); INSERT INTO user_documents (document_id, user_id) VALUES (5002, 3); DELETE FROM document_templates WHERE id = 5002`,
    `UPDATE documents SET id = 5003 WHERE id = 9007199254740993; UPDATE user_documents SET document_id = 5003 WHERE document_id = 9007199254740993`,
    `DELETE FROM user_documents WHERE document_id = 5003`,
    `INSERT INTO documents (id, title, document_type_code, created_at, updated_at) VALUES (5004, 'explicit id', 'reverse_type', now(), now())`,
    `DELETE FROM template_submissions WHERE id = 7000; DELETE FROM document_templates WHERE id = 5000`,
    `DELETE FROM documents WHERE id = 5003`,
  ],
  freezone_db: [
    `INSERT INTO free_zones (id, slug, name, emirate, benefits, min_setup_cost_aed, created_at, updated_at) VALUES (500, 'rev-zone', 'Zone ü', 'Dubai', '{"Zero tax","100% ownership","東京 \\"HQ\\""}', 1234567890.12, '2024-02-29 23:59:59.999999+00', NULL)`,
    `UPDATE free_zones SET benefits = '{}' WHERE id = 500`,
    `UPDATE free_zones SET benefits = '{one}', max_setup_cost_aed = 0.01 WHERE id = 500`,
    `INSERT INTO business_activity_categories (slug, name, description) VALUES ('rev-category', 'Rev Category', 'desc ü') ON CONFLICT DO NOTHING;
     INSERT INTO business_activities (id, free_zone_id, code, name, category_slug, is_regulated, created_at) VALUES (5000, 500, 'C1', 'Activity ü', 'rev-category', true, '2024-01-01 00:00:00.000001+00')`,
    `UPDATE business_activities SET category_slug = (SELECT slug FROM business_activity_categories WHERE slug <> 'rev-category' ORDER BY slug LIMIT 1) WHERE id = 5000`,
    `UPDATE business_activities SET id = 5001 WHERE id = 5000`,
    `INSERT INTO establishment_guides (id, free_zone_id, entity_type, title, steps, required_documents, estimated_days, updated_at) VALUES (300, 500, 'LLC', 'Guide 東京', '[{"step": 1}]', '{"passport copy",NOC}', 14, '2024-01-01 00:00:00+00')`,
    `UPDATE establishment_guides SET required_documents = '{}', estimated_days = NULL WHERE id = 300`,
    `UPDATE establishment_guides SET id = 301 WHERE id = 300`,
    `INSERT INTO free_zones (slug, name, emirate, benefits) VALUES ('seq-zone', 'Seq', 'Sharjah', '{}')`,
    `DELETE FROM establishment_guides WHERE id = 301`,
    `UPDATE free_zones SET name = 'Zone 1 renamed' WHERE id = 1`,
    `INSERT INTO free_zones (id, slug, name, emirate, benefits) VALUES (501, 'gone', 'Gone', 'Dubai', '{x}'); DELETE FROM free_zones WHERE id = 501`,
  ],
  ai_research_db: [
    `INSERT INTO conversations (id, user_id, title, model, created_at, updated_at) VALUES ('6f1c2a9e-0b7d-4c51-9a3e-2f8d7c6b5a41', 1, 'chat ü', 'gpt', now(), NULL)`,
    `INSERT INTO messages (id, conversation_id, role, content, tokens, created_at) VALUES (9007199254740993, '6f1c2a9e-0b7d-4c51-9a3e-2f8d7c6b5a41', 'user', repeat('toasted ü ', 5000), 7, '2024-02-29 23:59:59.999999+00')`,
    // Updates that leave the TOASTed content unchanged (pgoutput does not send it).
    `UPDATE messages SET tokens = 8 WHERE id = 9007199254740993`,
    `UPDATE messages SET role = 'assistant' WHERE id = (SELECT min(id) FROM messages WHERE id < 9007199254740993)`,
    `UPDATE messages SET id = 9007199254740994 WHERE id = 9007199254740993`,
    `INSERT INTO assistant_memory (id, user_id, key, value, updated_at) VALUES (400, 1, 'k', '{"big": 12345678901234567890}', now())`,
    `UPDATE assistant_memory SET value = '[]' WHERE id = 400`,
    `INSERT INTO ai_training_data (id, source, input, output, tags, created_at) VALUES (9007199254740993, NULL, 'in ü', 'out', '{visa,"free zone","東京"}', now())`,
    `UPDATE ai_training_data SET tags = '{}' WHERE id = 9007199254740993`,
    `INSERT INTO ai_training_data (input, output, tags) VALUES ('seq', 'seq', '{one}')`,
    `INSERT INTO research_topics (id, user_id, topic, status, result, created_at) VALUES (60, NULL, 'topic', 'new', NULL, now());
     INSERT INTO web_research_items (id, topic_id, url, title, content, fetched_at) VALUES (70, 60, 'https://x.test', NULL, repeat('page ', 3000), '0044-03-15 12:00:00.25+00 BC')`,
    `UPDATE research_topics SET status = 'done', result = '{"ok": true}' WHERE id = 60`,
    `UPDATE web_research_items SET id = 71 WHERE id = 70`,
    `DELETE FROM web_research_items WHERE id = 71; DELETE FROM research_topics WHERE id = 60`,
    `DELETE FROM assistant_memory WHERE id = 400`,
    `DELETE FROM messages WHERE id = 9007199254740994`,
  ],
  scraper_db: [
    `INSERT INTO scraper_tasks (id, url, free_zone_id, kind, status, created_at, updated_at) VALUES (900, 'https://rev.test', 1, 'page', 'new', now(), NULL)`,
    `INSERT INTO scraper_results (id, task_id, http_status, content, extracted, scraped_at) VALUES (9007199254740993, 900, 200, repeat('html ', 4000), '{"a": "ü"}', '2024-02-29 23:59:59.999999+00')`,
    `INSERT INTO scraper_schedules (id, task_id, cron, enabled, next_run_at) VALUES (80, 900, '*/5 * * * *', true, NULL)`,
    `UPDATE scraper_tasks SET status = 'done' WHERE id = 900`,
    `UPDATE scraper_schedules SET enabled = false, id = 81 WHERE id = 80`,
    `UPDATE scraper_results SET http_status = 404 WHERE id = 9007199254740993`,
    `INSERT INTO activity_logs (id, actor_user_id, action, entity, entity_id, details, created_at) VALUES (9007199254740993, NULL, 'run', 'scraper_run', 'ü', '{"ok": true}', now())`,
    `UPDATE activity_logs SET action = 'rerun' WHERE id = 9007199254740993`,
    `UPDATE activity_logs SET id = 9007199254740994 WHERE id = 9007199254740993`,
    `INSERT INTO scraper_tasks (url, kind, status) VALUES ('https://seq.test', 'page', 'new')`,
    `DELETE FROM scraper_schedules WHERE id = 81; DELETE FROM scraper_results WHERE id = 9007199254740993`,
    `DELETE FROM activity_logs WHERE id = (SELECT min(id) FROM activity_logs)`,
  ],
};
