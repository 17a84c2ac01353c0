import type { ServiceName } from '../../mappings/services.js';
import { pause } from '../../src/pause.js';
import { connect } from '../../src/pg/with-client.js';

/**
 * What a cut-over service writes to its own database in the demo: one transaction per round that
 * inserts a row (through the service's own sequences, set past the migrated keys at cutover),
 * updates one and deletes an older one of its own. Rows keep the shape the inverse mappings carry
 * back exactly (canonical codes, trimmed array elements).
 */
const ROUNDS: Readonly<Record<ServiceName, string>> = {
  user_db: `
    WITH u AS (INSERT INTO users (email, password_hash, role_id, created_at, updated_at)
               VALUES ('svc-' || gen_random_uuid() || '@example.test', 'hash', (SELECT min(id) FROM roles), now(), now()) RETURNING id, updated_at)
    INSERT INTO user_profiles (user_id, full_name, bio, updated_at) SELECT id, 'Service user ü', 'written by user_db', updated_at FROM u;
    UPDATE users SET last_login_at = now() WHERE id = (SELECT max(id) FROM users);`,
  document_db: `
    INSERT INTO documents (id, title, document_type_code, size_bytes, created_at, updated_at)
      SELECT greatest((SELECT max(id) FROM documents), (SELECT max(id) FROM document_templates), 0) + 1, 'service doc', (SELECT min(code) FROM document_types), 9007199254740993, now(), now();
    INSERT INTO user_documents (document_id, user_id) SELECT max(id), (SELECT min(user_id) FROM user_documents) FROM documents WHERE title = 'service doc';
    UPDATE documents SET title = 'service doc', updated_at = now() WHERE id = (SELECT max(id) FROM documents);
    DELETE FROM user_documents WHERE document_id = (SELECT min(id) FROM documents WHERE title = 'service doc' AND id < (SELECT max(id) FROM documents WHERE title = 'service doc'));
    DELETE FROM documents WHERE id = (SELECT min(id) FROM documents WHERE title = 'service doc' AND id < (SELECT max(id) FROM documents WHERE title = 'service doc'));`,
  freezone_db: `
    INSERT INTO free_zones (slug, name, emirate, benefits, created_at, updated_at) VALUES ('svc-' || gen_random_uuid(), 'Service zone', 'Dubai', '{"fast setup","100% ownership"}', now(), now());
    UPDATE free_zones SET updated_at = now() WHERE id = (SELECT max(id) FROM free_zones);
    DELETE FROM free_zones WHERE id = (SELECT min(id) FROM free_zones WHERE name = 'Service zone' AND id < (SELECT max(id) FROM free_zones WHERE name = 'Service zone'));`,
  ai_research_db: `
    INSERT INTO ai_training_data (source, input, output, tags, created_at) VALUES ('service', 'q ü', 'a', '{service,demo}', now());
    UPDATE ai_training_data SET output = 'a2' WHERE id = (SELECT max(id) FROM ai_training_data);
    DELETE FROM ai_training_data WHERE id = (SELECT min(id) FROM ai_training_data WHERE source = 'service' AND id < (SELECT max(id) FROM ai_training_data WHERE source = 'service'));`,
  scraper_db: `
    INSERT INTO scraper_tasks (url, kind, status, created_at, updated_at) VALUES ('https://service.example/' || gen_random_uuid(), 'page', 'new', now(), now());
    UPDATE scraper_tasks SET status = 'done', updated_at = now() WHERE id = (SELECT max(id) FROM scraper_tasks);
    DELETE FROM scraper_tasks WHERE id = (SELECT min(id) FROM scraper_tasks WHERE url LIKE 'https://service.example/%' AND id < (SELECT max(id) FROM scraper_tasks WHERE url LIKE 'https://service.example/%'));`,
};

/** Writes to the service database for `seconds` (one transaction every `pauseMs`); returns the transactions committed. */
export async function runServiceWorkload(url: string, service: ServiceName, seconds: number, pauseMs = 100, signal?: AbortSignal): Promise<number> {
  const client = await connect(url, { doing: `writing to ${service} (demo)`, application: 'pgcarve-demo-service' });
  let transactions = 0;
  try {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end && !signal?.aborted) {
      await client.query(ROUNDS[service]);
      transactions += 1;
      await pause(pauseMs, signal);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return transactions;
}
