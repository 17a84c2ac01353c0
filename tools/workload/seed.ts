import type pg from 'pg';
import type { LegacyTableName } from '../../mappings/legacy/schema.js';
import { bulkInsert, syncSequence, type BulkColumn, type TextRow } from './bulk-insert.js';
import * as v from './legacy-values.js';
import { Prng } from './prng.js';

export interface SeedOptions {
  /** 1 ≈ 3,700 rows over the 19 tables; row counts grow linearly (roles stay at 6). Fractions allowed. */
  readonly scale: number;
  /** Same seed, same rows. Default 1. */
  readonly seed?: number;
}

export interface SeedReport {
  readonly rows: Readonly<Record<LegacyTableName, number>>;
  readonly elapsedMs: number;
}

/** Rows per table at scale 1; every table but roles scales linearly. */
const ROWS_AT_SCALE_1: Readonly<Record<LegacyTableName, number>> = {
  roles: v.ROLE_NAMES.length,
  users: 300,
  sessions: 200,
  free_zones: 12,
  business_activities: 240,
  establishment_guides: 36,
  documents: 400,
  template_submissions: 200,
  business_setup: 100,
  conversations: 150,
  messages: 600,
  assistant_memory: 200,
  ai_training_data: 200,
  research_topics: 60,
  web_research_items: 180,
  scraper_tasks: 60,
  scraper_results: 180,
  scraper_schedules: 60,
  activity_logs: 500,
};

/** How many rows `seedLegacy` writes into each table at `scale`. */
export function seedRowCounts(scale: number): Record<LegacyTableName, number> {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be a positive number, got ${scale}`);
  const counts = {} as Record<LegacyTableName, number>;
  for (const [table, n] of Object.entries(ROWS_AT_SCALE_1) as [LegacyTableName, number][]) {
    counts[table] = table === 'roles' ? n : Math.max(table === 'activity_logs' ? 3 : 1, Math.round(n * scale));
  }
  return counts;
}

const col = (name: string, type = 'text'): BulkColumn => ({ name, type });
const ts = (name: string): BulkColumn => col(name, 'timestamp');
const str = (n: number | bigint): string => String(n);

/** Ids of activity_logs rows placed beyond 2^53 (the table's sequence continues after them). */
export const HUGE_ACTIVITY_LOG_IDS = [v.BEYOND_2_53, '9007199254740994'] as const;

/**
 * Fills an empty legacy monolith (mappings/legacy/schema.sql) with realistic, deterministic data
 * for all 19 tables, in one transaction: the client must not be inside one already. Ids are given
 * explicitly and every sequence is then moved past them. The traps every migration step must
 * survive are all present at any scale ≥ 1 (see legacy-values.ts): microsecond timestamps,
 * documents.size_bytes and activity_logs ids beyond 2^53, numeric(12,2) edge amounts, TOASTed
 * incompressible texts over 8 kB, text[] elements with commas, quotes, braces and NULLs, nested
 * unicode jsonb, RTL and combining characters, colliding category slugs, CRLF benefits, comma tags
 * with empty items, odd-cased document types, templates and system files without a user.
 */
export async function seedLegacy(client: pg.ClientBase, options: SeedOptions): Promise<SeedReport> {
  const started = Date.now();
  const n = seedRowCounts(options.scale);
  const seed = options.seed ?? 1;
  const rngFor = (table: LegacyTableName): Prng => new Prng(seed * 7919 + Object.keys(ROWS_AT_SCALE_1).indexOf(table));
  const ids = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

  await client.query('BEGIN');
  try {
    let r = rngFor('roles');
    await bulkInsert(client, 'roles', [col('id', 'int'), col('name'), col('permissions', 'jsonb'), ts('created_at')],
      v.ROLE_NAMES.map((name, i) => [str(i + 1), name, v.jsonText(i === 0 ? ['*'] : r.chance(0.5) ? [] : ['documents:read', `zones:${name}`, { scope: 'own', 'ñ': true }]), v.timestampText(r)]));

    r = rngFor('users');
    const userIds = ids(n.users);
    await bulkInsert(client, 'users', [
      col('id', 'int'), col('email'), col('password_hash'), col('role_id', 'int'), col('full_name'), col('phone'), col('company_name'),
      col('nationality'), col('avatar_url'), col('bio'), col('is_active', 'boolean'), ts('last_login_at'), ts('created_at'), ts('updated_at'),
    ], userIds.map((id): TextRow => {
      const created = v.timestampText(r);
      return [
        str(id), r.chance(0.1) ? `User.${id}+Tag@Example.TEST` : `user${id}@example.test`, `$2b$10$${r.hex(53)}`,
        str(r.weighted([[1, 1], [2, 2], [3, 3], [10, 4], [1, 5], [1, 6]])), r.chance(0.05) ? null : v.fullName(r),
        r.chance(0.2) ? null : `+971 5${r.int(0, 9)} ${r.int(100, 999)} ${r.int(1000, 9999)}`, r.chance(0.3) ? null : v.companyName(r),
        r.pick(v.NATIONALITIES), r.chance(0.5) ? null : `https://cdn.example.test/avatars/${r.hex(12)}.png`, r.chance(0.4) ? null : r.pick(v.BIOS),
        r.chance(0.95) ? 'true' : 'false', r.chance(0.2) ? null : v.timestampText(r, created), created, v.timestampText(r, created),
      ];
    }));

    r = rngFor('sessions');
    await bulkInsert(client, 'sessions', [col('id', 'uuid'), col('user_id', 'int'), col('token_hash'), ts('expires_at')],
      ids(n.sessions).map(() => [r.uuid(), r.chance(0.05) ? null : str(r.pick(userIds)), r.hex(64), v.timestampText(r)]));

    r = rngFor('free_zones');
    const zoneIds = ids(n.free_zones);
    await bulkInsert(client, 'free_zones', [
      col('id', 'int'), col('slug'), col('name'), col('emirate'), col('description'), col('website'), col('benefits'),
      col('setup_cost_min', 'numeric'), col('setup_cost_max', 'numeric'), ts('created_at'), ts('updated_at'),
    ], zoneIds.map((id): TextRow => {
      const base = v.FREE_ZONE_NAMES[(id - 1) % v.FREE_ZONE_NAMES.length] ?? 'Free Zone';
      const round = Math.floor((id - 1) / v.FREE_ZONE_NAMES.length);
      const created = v.timestampText(r);
      return [
        str(id), `fz-${id}`, round === 0 ? base : `${base} ${round + 1}`, r.pick(v.EMIRATES),
        r.chance(0.2) ? null : `${base}: a free zone for “global” business — ${r.pick(['est. 2004', 'منطقة حرة', 'since \'99'])}`,
        r.chance(0.1) ? null : `https://fz${id}.example.test/`, v.benefitsText(r), id === 1 ? '0.01' : v.moneyText(r, 5_000, 30_000), id === 2 ? '9999999999.99' : v.moneyText(r, 30_000, 250_000),
        created, v.timestampText(r, created),
      ];
    }));

    r = rngFor('business_activities');
    const perZone = Math.ceil(n.business_activities / zoneIds.length);
    await bulkInsert(client, 'business_activities', [
      col('id', 'int'), col('free_zone_id', 'int'), col('code'), col('name'), col('description'), col('category'),
      col('category_description'), col('is_regulated', 'boolean'), col('approval_authority'), ts('created_at'),
    ], ids(n.business_activities).map((id): TextRow => {
      const [category, description] = v.CATEGORIES[(id - 1) % v.CATEGORIES.length] ?? v.CATEGORIES[0];
      const regulated = r.chance(0.2);
      return [
        str(id), str(Math.floor((id - 1) / perZone) + 1), `ACT-${String(((id - 1) % perZone) + 1).padStart(4, '0')}`, r.pick(v.ACTIVITY_NAMES),
        r.chance(0.3) ? null : `Licensed activity #${id} — ${r.pick(['includes e-commerce', 'يتطلب موافقة', 'see "annex B"'])}`,
        category, description, regulated ? 'true' : 'false', regulated ? r.pick(v.APPROVAL_AUTHORITIES) : null, v.timestampText(r),
      ];
    }));

    r = rngFor('establishment_guides');
    await bulkInsert(client, 'establishment_guides', [
      col('id', 'int'), col('free_zone_id', 'int'), col('entity_type'), col('title'), col('steps', 'jsonb'), col('required_documents', 'text[]'),
      col('estimated_days', 'int'), ts('updated_at'),
    ], ids(n.establishment_guides).map((id): TextRow => {
      const entity = r.pick(v.ENTITY_TYPES);
      const steps = Array.from({ length: r.int(1, 5) }, (_, i) => ({ order: i + 1, title: `Step ${i + 1}`, details: v.nestedJson(r) }));
      const docs = v.REQUIRED_DOCUMENTS.filter(() => r.chance(0.5));
      return [
        str(id), r.chance(0.1) ? null : str(r.pick(zoneIds)), entity, `How to set up a ${entity} (${id})`, v.jsonText(steps),
        v.textArrayLiteral(id === 1 ? v.REQUIRED_DOCUMENTS : docs), r.chance(0.1) ? null : str(r.int(3, 60)), v.timestampText(r),
      ];
    }));

    r = rngFor('documents');
    const templateIds: number[] = [];
    await bulkInsert(client, 'documents', [
      col('id', 'bigint'), col('user_id', 'int'), col('title'), col('file_name'), col('mime_type'), col('size_bytes', 'bigint'), col('storage_key'),
      col('document_type'), col('is_template', 'boolean'), col('template_fields', 'jsonb'), ts('created_at'), ts('updated_at'),
    ], ids(n.documents).map((id): TextRow => {
      const template = id % 10 === 1;
      if (template) templateIds.push(id);
      const systemFile = !template && id % 10 === 5;
      const created = v.timestampText(r);
      const size = id === 2 ? v.BEYOND_2_53 : r.chance(0.02) ? '9223372036854775807' : r.chance(0.05) ? null : str(r.int(0, 50_000_000));
      const fields = template && !(id % 30 === 21)
        ? `[{"name":"company","type":"text","label":"Company / الشركة"},{"name":"capital","type":"number","max":123456789012345678901234567890},{"name":"notes","nested":${v.jsonText(v.nestedJson(r))}}]`
        : null;
      return [
        str(id), template || systemFile ? null : str(r.pick(userIds)), template ? `Template: ${r.pick(v.DOCUMENT_TYPES).trim()} form ${id}` : `Document ${id} ${r.pick(['📄', 'نسخة', 'final (v2)', 'scan, page 1'])}`,
        r.chance(0.1) ? null : `file-${id}${r.pick(['.pdf', '.JPG', ' copy.docx', '_عقد.pdf'])}`, r.chance(0.1) ? null : r.pick(v.MIME_TYPES), size,
        r.chance(0.1) ? null : `s3://legacy-docs/${r.uuid()}`, r.pick(v.DOCUMENT_TYPES), template ? 'true' : 'false', fields, created, v.timestampText(r, created),
      ];
    }));

    r = rngFor('template_submissions');
    await bulkInsert(client, 'template_submissions', [col('id', 'bigint'), col('template_id', 'bigint'), col('user_id', 'int'), col('data', 'jsonb'), col('status'), ts('submitted_at')],
      ids(n.template_submissions).map((id) => [str(id), str(r.pick(templateIds)), str(r.pick(userIds)), v.jsonText({ company: v.companyName(r), answers: v.nestedJson(r) }), r.pick(v.SUBMISSION_STATUSES), r.chance(0.1) ? null : v.timestampText(r)]));

    r = rngFor('business_setup');
    await bulkInsert(client, 'business_setup', [
      col('id', 'int'), col('user_id', 'int'), col('free_zone_id', 'int'), col('activity_ids', 'int[]'), col('entity_type'), col('status'),
      col('progress', 'jsonb'), col('notes'), ts('created_at'), ts('updated_at'),
    ], ids(n.business_setup).map((id): TextRow => {
      const created = v.timestampText(r);
      const activities = Array.from({ length: r.int(0, 4) }, () => (r.chance(0.05) ? 'NULL' : str(r.int(1, n.business_activities))));
      return [
        str(id), str(r.pick(userIds)), r.chance(0.1) ? null : str(r.pick(zoneIds)), r.chance(0.1) ? null : `{${activities.join(',')}}`, r.pick(v.ENTITY_TYPES),
        r.pick(['draft', 'in_progress', 'submitted', 'licensed']), v.jsonText({ step: r.int(1, 8), checklist: v.nestedJson(r) }), r.chance(0.5) ? null : 'Call back after Eid 🌙', created, v.timestampText(r, created),
      ];
    }));

    r = rngFor('conversations');
    const conversationIds: string[] = [];
    await bulkInsert(client, 'conversations', [col('id', 'uuid'), col('user_id', 'int'), col('title'), col('model'), ts('created_at'), ts('updated_at')],
      ids(n.conversations).map((): TextRow => {
        const id = r.uuid();
        conversationIds.push(id);
        const created = v.timestampText(r);
        return [id, r.chance(0.05) ? null : str(r.pick(userIds)), r.chance(0.1) ? null : r.pick(v.TOPICS), r.pick(v.MODELS), created, v.timestampText(r, created)];
      }));

    r = rngFor('messages');
    await bulkInsert(client, 'messages', [col('id', 'bigint'), col('conversation_id', 'uuid'), col('role'), col('content'), col('tokens', 'int'), ts('created_at')],
      ids(n.messages).map((id): TextRow => {
        const long = id % 4 === 1;
        const content = long ? `${r.pick(['Answer: ', 'الجواب: ', 'Summary 📋: '])}${r.incompressible(r.int(9_000, 20_000))}` : r.pick(['Hi!', 'How much is a DMCC licence?', 'شكرا جزيلا', 'Line 1\r\nLine 2', '`code` and "quotes"', 'e\u0301 vs é']);
        return [str(id), r.pick(conversationIds), r.pick(['user', 'assistant', 'system']), content, r.chance(0.1) ? null : str(Math.ceil(content.length / 4)), v.timestampText(r)];
      }));

    r = rngFor('assistant_memory');
    await bulkInsert(client, 'assistant_memory', [col('id', 'int'), col('user_id', 'int'), col('key'), col('value', 'jsonb'), ts('updated_at')],
      ids(n.assistant_memory).map((id) => [str(id), str(((id - 1) % n.users) + 1), `${r.pick(['preferred_zone', 'language', 'budget', 'tone', 'last_topic'])}.${id}`, v.jsonText(v.nestedJson(r, 1)), v.timestampText(r)]));

    r = rngFor('ai_training_data');
    await bulkInsert(client, 'ai_training_data', [col('id', 'bigint'), col('source'), col('input'), col('output'), col('tags'), ts('created_at')],
      ids(n.ai_training_data).map((id) => [str(id), r.chance(0.2) ? null : r.pick(['chat', 'faq', 'manual', 'import:2023']), `Q${id}: ${r.pick(v.TOPICS)}?`, r.chance(0.1) ? r.incompressible(3_000) : `A${id}: ${r.pick(['It depends.', 'نعم', 'See § 4.2 — “fees”'])}`, id === 1 ? ',a,,b, ,c,' : v.tagsText(r), v.timestampText(r)]));

    r = rngFor('research_topics');
    const topicIds = ids(n.research_topics);
    await bulkInsert(client, 'research_topics', [col('id', 'int'), col('user_id', 'int'), col('topic'), col('status'), col('result', 'jsonb'), ts('created_at'), ts('updated_at')],
      topicIds.map((id): TextRow => {
        const status = r.pick(v.RESEARCH_STATUSES);
        const created = v.timestampText(r);
        return [str(id), r.chance(0.1) ? null : str(r.int(1, n.users + 50)), r.pick(v.TOPICS), status, status === 'done' ? v.jsonText({ summary: v.nestedJson(r), sources: r.int(1, 9) }) : null, created, v.timestampText(r, created)];
      }));

    r = rngFor('web_research_items');
    await bulkInsert(client, 'web_research_items', [col('id', 'bigint'), col('topic_id', 'int'), col('url'), col('title'), col('content'), ts('fetched_at')],
      ids(n.web_research_items).map((id) => [str(id), r.chance(0.1) ? null : str(r.pick(topicIds)), `https://news.example.test/${id}?q=${encodeURIComponent('free zone')}&lang=ar`, r.chance(0.2) ? null : r.pick(v.TOPICS), id % 3 === 1 ? `<html>${r.incompressible(r.int(9_000, 30_000))}</html>` : r.chance(0.2) ? null : 'Short snippet…', v.timestampText(r)]));

    r = rngFor('scraper_tasks');
    const taskIds = ids(n.scraper_tasks);
    await bulkInsert(client, 'scraper_tasks', [col('id', 'int'), col('url'), col('free_zone_id', 'int'), col('kind'), col('status'), ts('created_at'), ts('updated_at')],
      taskIds.map((id): TextRow => {
        const created = v.timestampText(r);
        return [str(id), `https://fz${r.int(1, 12)}.example.test/${r.pick(['fees', 'activities', 'news'])}`, r.chance(0.15) ? null : str(r.pick(zoneIds)), r.pick(v.SCRAPER_KINDS), r.pick(v.SCRAPER_STATUSES), created, v.timestampText(r, created)];
      }));

    r = rngFor('scraper_results');
    await bulkInsert(client, 'scraper_results', [col('id', 'bigint'), col('task_id', 'int'), col('http_status', 'int'), col('content'), col('extracted', 'jsonb'), ts('scraped_at')],
      ids(n.scraper_results).map((id) => [str(id), str(r.pick(taskIds)), r.chance(0.05) ? null : str(r.pick([200, 200, 200, 304, 404, 500, 503])), id % 5 === 1 ? r.incompressible(r.int(9_000, 12_000)) : r.chance(0.2) ? null : '<p>ok</p>', r.chance(0.2) ? null : v.jsonText({ fees: { min: v.moneyText(r, 1, 9_000) }, items: [v.nestedJson(r, 1)] }), v.timestampText(r)]));

    r = rngFor('scraper_schedules');
    await bulkInsert(client, 'scraper_schedules', [col('id', 'int'), col('task_id', 'int'), col('cron'), col('enabled', 'boolean'), ts('next_run_at')],
      ids(n.scraper_schedules).map((id) => [str(id), str(r.pick(taskIds)), r.pick(v.CRONS), r.chance(0.8) ? 'true' : 'false', r.chance(0.1) ? null : v.timestampText(r)]));

    r = rngFor('activity_logs');
    const logIds: string[] = ids(n.activity_logs - HUGE_ACTIVITY_LOG_IDS.length).map(str);
    logIds.push(...HUGE_ACTIVITY_LOG_IDS);
    await bulkInsert(client, 'activity_logs', [col('id', 'bigint'), col('actor_user_id', 'int'), col('action'), col('entity'), col('entity_id'), col('details', 'jsonb'), ts('created_at')],
      logIds.map((id, i): TextRow => {
        const scraper = i >= logIds.length - HUGE_ACTIVITY_LOG_IDS.length || r.chance(0.4);
        return [id, r.chance(0.1) ? null : str(r.int(1, n.users + 20)), r.pick(v.ACTIONS), scraper ? r.pick(v.SCRAPER_ENTITIES) : r.pick(v.OTHER_ENTITIES), r.chance(0.1) ? null : str(r.int(1, 100_000)), r.chance(0.2) ? null : v.jsonText({ ip: `10.0.${r.int(0, 255)}.${r.int(1, 254)}`, meta: v.nestedJson(r) }), v.timestampText(r)];
      }));

    for (const table of Object.keys(ROWS_AT_SCALE_1) as LegacyTableName[]) {
      if (table !== 'sessions' && table !== 'conversations') await syncSequence(client, table);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await client.query(`ANALYZE ${Object.keys(ROWS_AT_SCALE_1).map((t) => `public.${client.escapeIdentifier(t)}`).join(', ')}`);
  // Publish this connection's table statistics now rather than when it next idles or closes, so
  // that write counters watched later (a cutover's frozen check) do not jump (PostgreSQL 15+).
  await client.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
  return { rows: n, elapsedMs: Date.now() - started };
}
