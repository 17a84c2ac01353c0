import pg from 'pg';
import type { ServiceName } from '../../mappings/services.js';

/**
 * An oracle for the target state, written from monolith.md as SQL over the legacy database,
 * independently of pgcarve's mapping code: for each owned target table, the rows it must hold
 * (every column as text, in a UTC session); for each reference table, the keys it must contain.
 * Tests compare it with what the targets hold.
 */
interface OwnedExpectation {
  readonly kind: 'owned';
  readonly service: ServiceName;
  readonly table: string;
  readonly columns: readonly string[];
  /** SELECT over the legacy database producing `columns` as text. */
  readonly legacy: string;
}
interface ReferenceExpectation {
  readonly kind: 'reference';
  readonly service: ServiceName;
  readonly table: string;
  readonly key: string;
  /** SELECT over the legacy database producing the keys (column `key`) that must exist. */
  readonly legacy: string;
  /** Other columns, derived from the key alone, that must hold. */
  readonly derived?: string;
}
export type Expectation = OwnedExpectation | ReferenceExpectation;

const ts = (c: string): string => `(${c} AT TIME ZONE 'UTC')::text AS ${c}`;
const t = (c: string): string => `${c}::text AS ${c}`;

function oneToOne(service: ServiceName, table: string, columns: readonly string[], timestamps: readonly string[], from = table, where = 'true'): OwnedExpectation {
  return {
    kind: 'owned',
    service,
    table,
    columns,
    legacy: `SELECT ${columns.map((c) => (timestamps.includes(c) ? ts(c) : t(c))).join(', ')} FROM public.${from} WHERE ${where}`,
  };
}

const WS = `E' \\t\\r\\n\\u000b\\f'`;

export const EXPECTATIONS: readonly Expectation[] = [
  oneToOne('user_db', 'roles', ['id', 'name', 'permissions', 'created_at'], ['created_at']),
  oneToOne('user_db', 'users', ['id', 'email', 'password_hash', 'role_id', 'is_active', 'last_login_at', 'created_at', 'updated_at'], ['last_login_at', 'created_at', 'updated_at']),
  {
    kind: 'owned',
    service: 'user_db',
    table: 'user_profiles',
    columns: ['user_id', 'full_name', 'phone', 'company_name', 'nationality', 'avatar_url', 'bio', 'updated_at'],
    legacy: `SELECT id::text AS user_id, full_name, phone, company_name, nationality, avatar_url, bio, ${ts('updated_at')} FROM public.users`,
  },
  {
    kind: 'reference',
    service: 'document_db',
    table: 'document_types',
    key: 'code',
    legacy: `SELECT DISTINCT lower(trim(document_type)) AS code FROM public.documents`,
    derived: `SELECT code FROM document_types WHERE name IS DISTINCT FROM initcap(replace(code, '_', ' '))`,
  },
  {
    kind: 'owned',
    service: 'document_db',
    table: 'documents',
    columns: ['id', 'title', 'file_name', 'mime_type', 'size_bytes', 'storage_key', 'document_type_code', 'created_at', 'updated_at'],
    legacy: `SELECT id::text AS id, title, file_name, mime_type, size_bytes::text AS size_bytes, storage_key, lower(trim(document_type)) AS document_type_code, ${ts('created_at')}, ${ts('updated_at')} FROM public.documents WHERE NOT is_template`,
  },
  {
    kind: 'owned',
    service: 'document_db',
    table: 'user_documents',
    columns: ['document_id', 'user_id'],
    legacy: `SELECT id::text AS document_id, user_id::text AS user_id FROM public.documents WHERE NOT is_template AND user_id IS NOT NULL`,
  },
  {
    kind: 'owned',
    service: 'document_db',
    table: 'document_templates',
    columns: ['id', 'title', 'document_type_code', 'fields', 'created_at', 'updated_at'],
    legacy: `SELECT id::text AS id, title, lower(trim(document_type)) AS document_type_code, coalesce(template_fields, '[]'::jsonb)::text AS fields, ${ts('created_at')}, ${ts('updated_at')} FROM public.documents WHERE is_template`,
  },
  oneToOne('document_db', 'template_submissions', ['id', 'template_id', 'user_id', 'data', 'status', 'submitted_at'], ['submitted_at']),
  {
    kind: 'owned',
    service: 'freezone_db',
    table: 'free_zones',
    columns: ['id', 'slug', 'name', 'emirate', 'description', 'website', 'benefits', 'min_setup_cost_aed', 'max_setup_cost_aed', 'created_at', 'updated_at'],
    legacy: `SELECT id::text AS id, slug, name, emirate, description, website,
       coalesce(array(SELECT btrim(l, ${WS}) FROM regexp_split_to_table(benefits, E'\\n') WITH ORDINALITY AS x(l, n) WHERE btrim(l, ${WS}) <> '' ORDER BY n), '{}')::text AS benefits,
       setup_cost_min::text AS min_setup_cost_aed, setup_cost_max::text AS max_setup_cost_aed, ${ts('created_at')}, ${ts('updated_at')} FROM public.free_zones`,
  },
  {
    kind: 'reference',
    service: 'freezone_db',
    table: 'business_activity_categories',
    key: 'slug',
    legacy: `SELECT DISTINCT trim('-' from lower(regexp_replace(trim(category), '[^a-zA-Z0-9]+', '-', 'g'))) AS slug FROM public.business_activities`,
  },
  {
    kind: 'owned',
    service: 'freezone_db',
    table: 'business_activities',
    columns: ['id', 'free_zone_id', 'code', 'name', 'description', 'category_slug', 'is_regulated', 'approval_authority', 'created_at'],
    legacy: `SELECT id::text AS id, free_zone_id::text AS free_zone_id, code, name, description,
       trim('-' from lower(regexp_replace(trim(category), '[^a-zA-Z0-9]+', '-', 'g'))) AS category_slug, is_regulated::text AS is_regulated, approval_authority, ${ts('created_at')} FROM public.business_activities`,
  },
  oneToOne('freezone_db', 'establishment_guides', ['id', 'free_zone_id', 'entity_type', 'title', 'steps', 'required_documents', 'estimated_days', 'updated_at'], ['updated_at']),
  oneToOne('ai_research_db', 'conversations', ['id', 'user_id', 'title', 'model', 'created_at', 'updated_at'], ['created_at', 'updated_at']),
  oneToOne('ai_research_db', 'messages', ['id', 'conversation_id', 'role', 'content', 'tokens', 'created_at'], ['created_at']),
  oneToOne('ai_research_db', 'assistant_memory', ['id', 'user_id', 'key', 'value', 'updated_at'], ['updated_at']),
  {
    kind: 'owned',
    service: 'ai_research_db',
    table: 'ai_training_data',
    columns: ['id', 'source', 'input', 'output', 'tags', 'created_at'],
    legacy: `SELECT id::text AS id, source, input, output,
       coalesce(array(SELECT btrim(l, ${WS}) FROM regexp_split_to_table(tags, ',') WITH ORDINALITY AS x(l, n) WHERE btrim(l, ${WS}) <> '' ORDER BY n), '{}')::text AS tags, ${ts('created_at')} FROM public.ai_training_data`,
  },
  oneToOne('ai_research_db', 'research_topics', ['id', 'user_id', 'topic', 'status', 'result', 'created_at', 'updated_at'], ['created_at', 'updated_at']),
  oneToOne('ai_research_db', 'web_research_items', ['id', 'topic_id', 'url', 'title', 'content', 'fetched_at'], ['fetched_at']),
  oneToOne('scraper_db', 'scraper_tasks', ['id', 'url', 'free_zone_id', 'kind', 'status', 'created_at', 'updated_at'], ['created_at', 'updated_at']),
  oneToOne('scraper_db', 'scraper_results', ['id', 'task_id', 'http_status', 'content', 'extracted', 'scraped_at'], ['scraped_at']),
  oneToOne('scraper_db', 'scraper_schedules', ['id', 'task_id', 'cron', 'enabled', 'next_run_at'], ['next_run_at']),
  oneToOne('scraper_db', 'activity_logs', ['id', 'actor_user_id', 'action', 'entity', 'entity_id', 'details', 'created_at'], ['created_at'], 'activity_logs', `entity LIKE 'scraper%'`),
];

async function rows(url: string, sql: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (v: string) => v } });
  await client.connect();
  try {
    await client.query("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3");
    const result = await client.query<Record<string, string | null>>(sql);
    return result.rows.map((r) => JSON.stringify(Object.values(r))).sort();
  } finally {
    await client.end();
  }
}

export interface Mismatch {
  readonly service: ServiceName;
  readonly table: string;
  /** Rows (as JSON arrays of text) the target lacks, and rows it has that it should not. */
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  /** How many rows differ in all (the lists above hold the first five). */
  readonly missingCount: number;
  readonly unexpectedCount: number;
}

/** Compares every target table with the oracle; returns the tables that differ (empty = exact). */
export async function compareWithOracle(legacyUrl: string, serviceUrls: Readonly<Record<ServiceName, string>>, only?: readonly ServiceName[]): Promise<readonly Mismatch[]> {
  const mismatches: Mismatch[] = [];
  for (const e of EXPECTATIONS) {
    if (only && !only.includes(e.service)) continue;
    const target = serviceUrls[e.service];
    if (e.kind === 'owned') {
      const expected = await rows(legacyUrl, e.legacy);
      const actual = await rows(target, `SELECT ${e.columns.map((c) => `${c}::text AS ${c}`).join(', ')} FROM public.${e.table}`);
      const actualSet = new Set(actual);
      const expectedSet = new Set(expected);
      const missing = expected.filter((r) => !actualSet.has(r));
      const unexpected = actual.filter((r) => !expectedSet.has(r));
      if (missing.length > 0 || unexpected.length > 0) mismatches.push({ service: e.service, table: e.table, missing: missing.slice(0, 5), unexpected: unexpected.slice(0, 5), missingCount: missing.length, unexpectedCount: unexpected.length });
    } else {
      const expected = await rows(legacyUrl, e.legacy);
      const actual = new Set(await rows(target, `SELECT ${e.key}::text AS key FROM public.${e.table}`));
      const missing = expected.filter((r) => !actual.has(r));
      const wrong = e.derived ? await rows(target, e.derived) : [];
      if (missing.length > 0 || wrong.length > 0) mismatches.push({ service: e.service, table: e.table, missing: missing.slice(0, 5), unexpected: wrong.slice(0, 5), missingCount: missing.length, unexpectedCount: wrong.length });
    }
  }
  return mismatches;
}
