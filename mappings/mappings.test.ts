import { getTableName } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import type { SourceRow, SourceValue } from '../src/values.js';
import type { TableMapping, TargetDeclaration } from './table-mapping.js';
import { SERVICES, type ServiceName } from './services.js';
import * as aiResearch from './ai-research/schema.js';
import * as document from './document/schema.js';
import * as freezone from './freezone/schema.js';
import { LEGACY_RULES } from './index.js';
import { LEGACY_TABLES } from './legacy/schema.js';
import * as scraper from './scraper/schema.js';
import { MappingNeedsValueError } from './transforms.js';
import * as user from './user/schema.js';

const SERVICE_TABLES: Readonly<Record<ServiceName, readonly PgTable[]>> = {
  user_db: user.tables,
  document_db: document.tables,
  freezone_db: freezone.tables,
  ai_research_db: aiResearch.tables,
  scraper_db: scraper.tables,
};

const MAPPINGS: readonly TableMapping[] = LEGACY_RULES.filter((rule): rule is TableMapping => rule.kind === 'mapped');

function mappingOf(source: string): TableMapping {
  const mapping = MAPPINGS.find((m) => m.source === source);
  if (mapping === undefined) throw new Error(`no mapping for ${source}`);
  return mapping;
}

/** A produced row, flattened for comparison: `service.table` (kind) and the row. */
interface Produced {
  readonly to: string;
  readonly kind: 'owned' | 'reference';
  readonly row: Readonly<Record<string, SourceValue>>;
}

function run(source: string, row: SourceRow): readonly Produced[] {
  return mappingOf(source)
    .map(row)
    .map((r) => ({ to: `${r.target.service}.${getTableName(r.target.table)}`, kind: r.target.kind, row: r.row as Readonly<Record<string, SourceValue>> }));
}

/** The owned target keys an output holds (what the engine deletes when a new output lacks them). */
function ownedKeys(source: string, row: SourceRow): readonly string[] {
  return run(source, row)
    .filter((p) => p.kind === 'owned')
    .map((p) => p.to);
}

/** The primary-key column names of a drizzle table. */
function primaryKey(table: PgTable): readonly string[] {
  return getTableConfig(table)
    .columns.filter((c) => c.primary)
    .map((c) => c.name);
}

describe('every legacy table has exactly one rule and every target table one writer', () => {
  it('LEGACY_RULES covers the 19 legacy tables, each once', () => {
    const sources = LEGACY_RULES.map((r) => r.source);
    expect(new Set(sources).size).toBe(sources.length);
    expect([...sources].sort()).toEqual([...LEGACY_TABLES].sort());
    expect(LEGACY_TABLES).toHaveLength(19);
  });

  it('excludes sessions and business_setup, with a reason, and nothing else', () => {
    const excluded = LEGACY_RULES.filter((r) => r.kind === 'excluded');
    expect(excluded.map((r) => r.source).sort()).toEqual(['business_setup', 'sessions']);
    for (const rule of excluded) expect(rule.reason.length).toBeGreaterThan(10);
  });

  it('every target table of every service is declared by exactly one mapping, for its own service', () => {
    const declarations = MAPPINGS.flatMap((m) => m.targets.map((t) => ({ source: m.source, target: t })));
    for (const service of SERVICES) {
      for (const table of SERVICE_TABLES[service]) {
        const writers = declarations.filter((d) => d.target.table === table);
        expect(writers.map((w) => w.target.service), `writers of ${service}.${getTableName(table)}`).toEqual([service]);
      }
    }
    const known = new Set<PgTable>(SERVICES.flatMap((s) => SERVICE_TABLES[s]));
    for (const d of declarations) expect(known.has(d.target.table), `${d.source} declares an unknown table`).toBe(true);
  });

  it('every legacy key is id, and every owned target key derives from it alone', () => {
    for (const mapping of MAPPINGS) {
      expect(mapping.sourceKey, mapping.source).toEqual(['id']);
      for (const target of mapping.targets) {
        if (target.kind !== 'owned') continue;
        const key = target.fromSourceKey({ id: '9007199254740993' });
        expect(Object.keys(key).sort(), getTableName(target.table)).toEqual([...primaryKey(target.table)].sort());
        expect(Object.values(key)).toEqual(Object.keys(key).map(() => '9007199254740993'));
      }
    }
  });

  it('reference targets are document_types and business_activity_categories only', () => {
    const references = MAPPINGS.flatMap((m) => m.targets.filter((t): t is TargetDeclaration & { kind: 'reference' } => t.kind === 'reference'));
    expect(references.map((t) => getTableName(t.table)).sort()).toEqual(['business_activity_categories', 'document_types']);
  });
});

/**
 * The 1:1 tables: the input row has one distinct value per target column (a legacy timestamp
 * where the target has a timestamptz), the output is that row with the timestamps in UTC.
 */
interface OneToOne {
  readonly source: string;
  readonly service: ServiceName;
  readonly table: PgTable;
  /** Values the mapping's filter needs. */
  readonly extra: SourceRow;
}

const ONE_TO_ONE: readonly OneToOne[] = [
  { source: 'roles', service: 'user_db', table: user.roles, extra: {} },
  { source: 'template_submissions', service: 'document_db', table: document.templateSubmissions, extra: {} },
  { source: 'establishment_guides', service: 'freezone_db', table: freezone.establishmentGuides, extra: {} },
  { source: 'conversations', service: 'ai_research_db', table: aiResearch.conversations, extra: {} },
  { source: 'messages', service: 'ai_research_db', table: aiResearch.messages, extra: {} },
  { source: 'assistant_memory', service: 'ai_research_db', table: aiResearch.assistantMemory, extra: {} },
  { source: 'research_topics', service: 'ai_research_db', table: aiResearch.researchTopics, extra: {} },
  { source: 'web_research_items', service: 'ai_research_db', table: aiResearch.webResearchItems, extra: {} },
  { source: 'scraper_tasks', service: 'scraper_db', table: scraper.scraperTasks, extra: {} },
  { source: 'scraper_results', service: 'scraper_db', table: scraper.scraperResults, extra: {} },
  { source: 'scraper_schedules', service: 'scraper_db', table: scraper.scraperSchedules, extra: {} },
  { source: 'activity_logs', service: 'scraper_db', table: scraper.activityLogs, extra: { entity: 'scraper_task' } },
];

function isTimestamp(table: PgTable, column: string): boolean {
  return getTableConfig(table).columns.find((c) => c.name === column)?.columnType === 'PgTimestampString';
}

describe('1:1 mappings copy every column and move timestamps to UTC', () => {
  it.each(ONE_TO_ONE)('$source -> $service', ({ source, service, table, extra }) => {
    const columns = getTableConfig(table).columns.map((c) => c.name);
    const input: Record<string, SourceValue> = {};
    const expected: Record<string, SourceValue> = {};
    for (const column of columns) {
      const ts = isTimestamp(table, column);
      input[column] = extra[column] ?? (ts ? '2024-02-29 23:59:59.123456' : `${column} value`);
      expected[column] = ts ? '2024-02-29 23:59:59.123456+00' : input[column];
    }
    expect(run(source, input)).toStrictEqual([{ to: `${service}.${getTableName(table)}`, kind: 'owned', row: expected }]);
  });

  it.each(ONE_TO_ONE)('$source: unsent (unchanged TOAST) columns stay unsent, nulls stay null', ({ source, table, extra }) => {
    const columns = getTableConfig(table).columns.map((c) => c.name);
    const unsent: Record<string, SourceValue> = { id: '1', ...extra };
    const nulls: Record<string, SourceValue> = { id: '1', ...extra };
    for (const column of columns) {
      if (!(column in unsent)) unsent[column] = undefined;
      if (!(column in nulls)) nulls[column] = null;
    }
    expect(run(source, unsent).map((p) => p.row)).toStrictEqual([unsent]);
    expect(run(source, nulls).map((p) => p.row)).toStrictEqual([nulls]);
  });
});

const USER: SourceRow = {
  id: '7',
  email: 'a@example.com',
  password_hash: '$2b$10$x',
  role_id: '2',
  full_name: 'Zoë Ärzte',
  phone: '+971 50 000',
  company_name: 'ACME "FZ" LLC',
  nationality: 'AE',
  avatar_url: 'https://x/y.png',
  bio: 'long bio',
  is_active: 't',
  last_login_at: null,
  created_at: '2023-01-01 00:00:00',
  updated_at: '2024-05-06 07:08:09.000001',
};

describe('users split into users and user_profiles', () => {
  it('produces both rows; the profile is keyed by the user id and shares updated_at', () => {
    expect(run('users', USER)).toStrictEqual([
      {
        to: 'user_db.users',
        kind: 'owned',
        row: {
          id: '7',
          email: 'a@example.com',
          password_hash: '$2b$10$x',
          role_id: '2',
          is_active: 't',
          last_login_at: null,
          created_at: '2023-01-01 00:00:00+00',
          updated_at: '2024-05-06 07:08:09.000001+00',
        },
      },
      {
        to: 'user_db.user_profiles',
        kind: 'owned',
        row: {
          user_id: '7',
          full_name: 'Zoë Ärzte',
          phone: '+971 50 000',
          company_name: 'ACME "FZ" LLC',
          nationality: 'AE',
          avatar_url: 'https://x/y.png',
          bio: 'long bio',
          updated_at: '2024-05-06 07:08:09.000001+00',
        },
      },
    ]);
  });

  it('an unsent bio stays unsent (the target keeps its value)', () => {
    const profile = run('users', { ...USER, bio: undefined })[1];
    expect(profile?.row).toHaveProperty('bio', undefined);
    expect(profile?.row.full_name).toBe('Zoë Ärzte');
  });
});

const DOCUMENT: SourceRow = {
  id: '9007199254740993',
  user_id: '7',
  title: 'Passport',
  file_name: 'passport.pdf',
  mime_type: 'application/pdf',
  size_bytes: '9223372036854775807',
  storage_key: 's3://bucket/k',
  document_type: '  Trade_LICENSE ',
  is_template: 'f',
  template_fields: null,
  created_at: '2024-01-01 10:00:00',
  updated_at: '2024-01-02 10:00:00.5',
};

const TEMPLATE: SourceRow = { ...DOCUMENT, user_id: null, is_template: 't', template_fields: '[{"name": "full_name"}]' };

describe('documents feed document_types, documents, user_documents and document_templates', () => {
  it('a user document: its type (reference), the document and who owns it', () => {
    expect(run('documents', DOCUMENT)).toStrictEqual([
      { to: 'document_db.document_types', kind: 'reference', row: { code: 'trade_license', name: 'Trade License' } },
      {
        to: 'document_db.documents',
        kind: 'owned',
        row: {
          id: '9007199254740993',
          title: 'Passport',
          file_name: 'passport.pdf',
          mime_type: 'application/pdf',
          size_bytes: '9223372036854775807',
          storage_key: 's3://bucket/k',
          document_type_code: 'trade_license',
          created_at: '2024-01-01 10:00:00+00',
          updated_at: '2024-01-02 10:00:00.5+00',
        },
      },
      { to: 'document_db.user_documents', kind: 'owned', row: { document_id: '9007199254740993', user_id: '7' } },
    ]);
  });

  it('a system document (null user_id) has no user_documents row', () => {
    expect(ownedKeys('documents', { ...DOCUMENT, user_id: null })).toEqual(['document_db.documents']);
  });

  it('a template goes to document_templates only, with its fields', () => {
    expect(run('documents', TEMPLATE)).toStrictEqual([
      { to: 'document_db.document_types', kind: 'reference', row: { code: 'trade_license', name: 'Trade License' } },
      {
        to: 'document_db.document_templates',
        kind: 'owned',
        row: {
          id: '9007199254740993',
          title: 'Passport',
          document_type_code: 'trade_license',
          fields: '[{"name": "full_name"}]',
          created_at: '2024-01-01 10:00:00+00',
          updated_at: '2024-01-02 10:00:00.5+00',
        },
      },
    ]);
  });

  it.each([
    [null, '[]'],
    ['{}', '{}'],
    [undefined, undefined],
  ] as const)('template_fields %j gives fields %j', (templateFields, fields) => {
    const row = run('documents', { ...TEMPLATE, template_fields: templateFields })[1]?.row;
    expect(row).toHaveProperty('fields', fields);
  });

  it('a template that becomes a document moves tables (the engine deletes what the new output lacks)', () => {
    expect(ownedKeys('documents', TEMPLATE)).toEqual(['document_db.document_templates']);
    expect(ownedKeys('documents', { ...TEMPLATE, is_template: 'f' })).toEqual(['document_db.documents']);
    expect(ownedKeys('documents', { ...TEMPLATE, is_template: 'f', user_id: '3' })).toEqual(['document_db.documents', 'document_db.user_documents']);
    expect(ownedKeys('documents', { ...DOCUMENT, is_template: 't' })).toEqual(['document_db.document_templates']);
  });

  it('a template ignores user_id, even an unsent one', () => {
    expect(ownedKeys('documents', { ...TEMPLATE, user_id: '7' })).toEqual(['document_db.document_templates']);
    expect(ownedKeys('documents', { ...TEMPLATE, user_id: undefined })).toEqual(['document_db.document_templates']);
  });

  it('a null is_template is neither a template nor a document (SQL three-valued logic)', () => {
    expect(run('documents', { ...DOCUMENT, is_template: null }).map((p) => p.to)).toEqual(['document_db.document_types']);
  });

  it.each([
    ['contract', 'contract', 'Contract'],
    ['  EMIRATES_ID  ', 'emirates_id', 'Emirates Id'],
    ['\tvisa', '\tvisa', '\tVisa'],
    ['moa__aoa', 'moa__aoa', 'Moa  Aoa'],
    ['3d_plan', '3d_plan', '3d Plan'],
    ['Ärzte_BESCHEINIGUNG', 'ärzte_bescheinigung', 'Ärzte Bescheinigung'],
    ['İZİN', 'izin', 'Izin'],
    ["o'neil-form", "o'neil-form", "O'Neil-Form"],
  ])('document_type %j has code %j and name %j', (documentType, code, name) => {
    const [type, doc] = run('documents', { ...DOCUMENT, document_type: documentType });
    expect(type?.row).toStrictEqual({ code, name });
    expect(doc?.row.document_type_code).toBe(code);
  });

  it.each(['is_template', 'document_type', 'user_id'])('an unsent %s stops the mapping with the remedy', (column) => {
    expect(() => run('documents', { ...DOCUMENT, [column]: undefined })).toThrow(MappingNeedsValueError);
    expect(() => run('documents', { ...DOCUMENT, [column]: undefined })).toThrow(`column ${column} was not sent`);
  });

  it('unsent copied columns stay unsent', () => {
    const doc = run('documents', { ...DOCUMENT, title: undefined, storage_key: undefined })[1]?.row;
    expect(doc).toHaveProperty('title', undefined);
    expect(doc).toHaveProperty('storage_key', undefined);
    expect(doc?.mime_type).toBe('application/pdf');
  });
});

const FREE_ZONE: SourceRow = {
  id: '3',
  slug: 'dmcc',
  name: 'DMCC',
  emirate: 'Dubai',
  description: null,
  website: 'https://dmcc.ae',
  benefits: '100% foreign ownership\r\n\r\n  0% corporate tax  \n\t"Golden" visa\\residency\n',
  setup_cost_min: '12345678901.10',
  setup_cost_max: '99999999999.99',
  created_at: '2020-01-01 00:00:00',
  updated_at: null,
};

describe('free_zones', () => {
  it('benefits become the non-empty trimmed lines; setup costs are renamed, every digit kept', () => {
    expect(run('free_zones', FREE_ZONE)).toStrictEqual([
      {
        to: 'freezone_db.free_zones',
        kind: 'owned',
        row: {
          id: '3',
          slug: 'dmcc',
          name: 'DMCC',
          emirate: 'Dubai',
          description: null,
          website: 'https://dmcc.ae',
          benefits: '{"100% foreign ownership","0% corporate tax","\\"Golden\\" visa\\\\residency"}',
          min_setup_cost_aed: '12345678901.10',
          max_setup_cost_aed: '99999999999.99',
          created_at: '2020-01-01 00:00:00+00',
          updated_at: null,
        },
      },
    ]);
  });

  it.each([
    [null, '{}'],
    ['', '{}'],
    ['\n \r\n\t', '{}'],
    ['one', '{"one"}'],
    ['NULL\n{x}, y', '{"NULL","{x}, y"}'],
    [undefined, undefined],
  ] as const)('benefits %j become %j', (benefits, expected) => {
    expect(run('free_zones', { ...FREE_ZONE, benefits })[0]?.row).toHaveProperty('benefits', expected);
  });
});

const ACTIVITY: SourceRow = {
  id: '11',
  free_zone_id: '3',
  code: '4690.01',
  name: 'General Trading',
  description: 'long description',
  category: '  Food & Beverage ',
  category_description: 'Restaurants, cafés',
  is_regulated: 'f',
  approval_authority: null,
  created_at: '2021-06-01 12:00:00',
};

describe('business_activities feed their category (reference) and themselves', () => {
  it('produces the category keyed by its slug and the activity pointing at it', () => {
    expect(run('business_activities', ACTIVITY)).toStrictEqual([
      {
        to: 'freezone_db.business_activity_categories',
        kind: 'reference',
        row: { slug: 'food-beverage', name: 'Food & Beverage', description: 'Restaurants, cafés' },
      },
      {
        to: 'freezone_db.business_activities',
        kind: 'owned',
        row: {
          id: '11',
          free_zone_id: '3',
          code: '4690.01',
          name: 'General Trading',
          description: 'long description',
          category_slug: 'food-beverage',
          is_regulated: 'f',
          approval_authority: null,
          created_at: '2021-06-01 12:00:00+00',
        },
      },
    ]);
  });

  it.each([
    ['Food & Beverage', 'food-beverage', 'Food & Beverage'],
    ['food-beverage', 'food-beverage', 'food-beverage'],
    ['  IT / Software  ', 'it-software', 'IT / Software'],
    ['\tTabbed\t', 'tabbed', '\tTabbed\t'],
    ['Ärzte & Kliniken', 'rzte-kliniken', 'Ärzte & Kliniken'],
    ['--Media---Production--', 'media-production', '--Media---Production--'],
    ['3D Printing', '3d-printing', '3D Printing'],
    ['snake_case', 'snake-case', 'snake_case'],
    ['الخدمات', '', 'الخدمات'],
    ['👍', '', '👍'],
  ])('category %j has slug %j and name %j', (category, slug, name) => {
    const [ref, activity] = run('business_activities', { ...ACTIVITY, category });
    expect(ref?.row).toMatchObject({ slug, name });
    expect(activity?.row.category_slug).toBe(slug);
  });

  it.each(['category', 'category_description'])('an unsent %s stops the mapping (a reference row is never updated)', (column) => {
    expect(() => run('business_activities', { ...ACTIVITY, [column]: undefined })).toThrow(MappingNeedsValueError);
  });

  it('a null category_description is a null description', () => {
    expect(run('business_activities', { ...ACTIVITY, category_description: null })[0]?.row).toHaveProperty('description', null);
  });

  it("an unsent activity description stays unsent", () => {
    expect(run('business_activities', { ...ACTIVITY, description: undefined })[1]?.row).toHaveProperty('description', undefined);
  });
});

const TRAINING: SourceRow = {
  id: '12',
  source: 'chat',
  input: 'question',
  output: 'answer',
  tags: ' visa , dubai,,  golden visa ,"q",a\\b, ',
  created_at: '2022-02-02 02:02:02',
};

describe('ai_training_data', () => {
  it('tags become the non-empty trimmed comma-separated items', () => {
    expect(run('ai_training_data', TRAINING)).toStrictEqual([
      {
        to: 'ai_research_db.ai_training_data',
        kind: 'owned',
        row: {
          id: '12',
          source: 'chat',
          input: 'question',
          output: 'answer',
          tags: '{"visa","dubai","golden visa","\\"q\\"","a\\\\b"}',
          created_at: '2022-02-02 02:02:02+00',
        },
      },
    ]);
  });

  it.each([
    [null, '{}'],
    ['', '{}'],
    [' , ,\t,\n', '{}'],
    ['NULL', '{"NULL"}'],
    ['a,a', '{"a","a"}'],
    ['{x},y', '{"{x}","y"}'],
    [undefined, undefined],
  ] as const)('tags %j become %j', (tags, expected) => {
    expect(run('ai_training_data', { ...TRAINING, tags })[0]?.row).toHaveProperty('tags', expected);
  });

  it('unsent input and output (TOASTed text) stay unsent', () => {
    const row = run('ai_training_data', { ...TRAINING, input: undefined, output: undefined })[0]?.row;
    expect(row).toHaveProperty('input', undefined);
    expect(row).toHaveProperty('output', undefined);
  });
});

const LOG: SourceRow = {
  id: '99',
  actor_user_id: null,
  action: 'run',
  entity: 'scraper_task',
  entity_id: '5',
  details: '{"ok": true}',
  created_at: '2024-01-01 00:00:00',
};

describe("activity_logs: only entity LIKE 'scraper%'", () => {
  it.each([
    ['scraper', true],
    ['scraper_task', true],
    ['scraper%', true],
    ['scrapers', true],
    ['Scraper_task', false],
    ['SCRAPER', false],
    [' scraper', false],
    ['scrape', false],
    ['user', false],
    ['web_scraper', false],
    ['', false],
    [null, false],
  ] as const)('entity %j is migrated: %s', (entity, migrated) => {
    expect(ownedKeys('activity_logs', { ...LOG, entity })).toEqual(migrated ? ['scraper_db.activity_logs'] : []);
  });

  it('a row whose entity stops matching produces nothing (the engine deletes its target row)', () => {
    expect(ownedKeys('activity_logs', LOG)).toEqual(['scraper_db.activity_logs']);
    expect(ownedKeys('activity_logs', { ...LOG, entity: 'user' })).toEqual([]);
  });

  it('an unsent entity stops the mapping with the remedy', () => {
    expect(() => run('activity_logs', { ...LOG, entity: undefined })).toThrow(
      'legacy table activity_logs column entity was not sent (unchanged TOASTed value) but the mapping needs it: run ALTER TABLE activity_logs REPLICA IDENTITY FULL',
    );
  });

  it('unsent details stay unsent', () => {
    expect(run('activity_logs', { ...LOG, details: undefined })[0]?.row).toHaveProperty('details', undefined);
  });
});
