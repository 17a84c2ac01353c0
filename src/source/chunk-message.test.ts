import { describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { repairScope } from '../backfill/repair-scope.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Lsn } from '../lsn.js';
import { RoutingTable, type RoutedTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import type { TargetOp } from '../targets/target-op.js';
import { servicesBelowFloor } from './backfill-floors.js';
import { deriveChunk } from '../router/derive-chunk.js';
import { decodeChunk, encodeChunk, type ChunkMessage } from './chunk-message.js';
import { parseTextArrayLiteral } from '../backfill/copy-plan.js';
import { LegacyRowFactory } from './legacy-row.js';
import { renamedKey } from '../backfill/target-key-range.js';

const routing = new RoutingTable(LEGACY_RULES);
const documents = routing.bySource.get('documents') as RoutedTable;

const DOCUMENT_COLUMNS = ['id', 'user_id', 'title', 'file_name', 'mime_type', 'size_bytes', 'storage_key', 'document_type', 'is_template', 'template_fields', 'created_at', 'updated_at'];

describe('chunk messages', () => {
  const chunk: ChunkMessage = {
    version: 1,
    table: 'documents',
    services: ['document_db'],
    columns: DOCUMENT_COLUMNS,
    rows: [
      ['7', '3', 'Passport', null, null, '9007199254740993', null, ' Passport ', 'f', null, '2024-01-01 00:00:00.000001', null],
      ['8', null, 'Template', null, null, null, null, 'visa', 't', null, null, null],
    ],
    deletes: [{ service: 'document_db', table: 'documents', columns: ['id'], keys: [['9'], ['10']] }],
  };

  it('round-trip through their text form', () => {
    expect(decodeChunk(Buffer.from(encodeChunk(chunk)))).toEqual(chunk);
  });

  it.each([['not json'], ['{"version":2}'], [JSON.stringify({ ...chunk, services: ['nope'] })]])('reject %s as internal errors', (text) => {
    expect(() => decodeChunk(text)).toThrow(PgcarveError);
  });

  it('derive, through the mapping, what makes the range exact: upserts, deletes of what the rows no longer produce, and the extra rows', () => {
    const ops: [ServiceName, TargetOp][] = [];
    deriveChunk(routing, documents, chunk, (service, op) => ops.push([service, op]));
    const summary = ops.map(([service, op]) => `${service} ${op.kind} ${op.table} ${op.kind === 'delete' ? JSON.stringify(op.key) : op.kind === 'truncate' ? '' : JSON.stringify(op.row.id ?? op.row.code ?? op.row.document_id)}`);
    expect(summary).toEqual([
      'document_db ensure document_types "passport"',
      'document_db upsert documents "7"',
      'document_db upsert user_documents "7"',
      'document_db delete document_templates {"id":"7"}',
      'document_db ensure document_types "visa"',
      'document_db upsert document_templates "8"',
      'document_db delete documents {"id":"8"}',
      'document_db delete user_documents {"document_id":"8"}',
      'document_db delete documents {"id":"9"}',
      'document_db delete documents {"id":"10"}',
    ]);
  });

  it('apply to the services they name only', () => {
    const ops: ServiceName[] = [];
    deriveChunk(routing, documents, { ...chunk, services: [] }, (service) => ops.push(service));
    expect(ops).toEqual([]);
  });

  it('may delete only owned targets of their table', () => {
    const bad = { ...chunk, deletes: [{ service: 'user_db' as const, table: 'users', columns: ['id'], keys: [['1']] }] };
    expect(() => deriveChunk(routing, documents, bad, () => undefined)).toThrow(/not an owned target/);
  });
});

describe('renamedKey', () => {
  it('finds the target column of the legacy key for every owned target of the mappings', () => {
    const found = [...routing.bySource.values()].flatMap((routed) =>
      routed.targets.filter((t) => t.kind === 'owned').map((t) => `${t.service}.${t.table}:${renamedKey(t, routed.mapping.sourceKey)?.join(',')}`),
    );
    expect(found).toContain('user_db.user_profiles:user_id');
    expect(found).toContain('document_db.user_documents:document_id');
    expect(found.filter((f) => f.endsWith(':undefined'))).toEqual([]);
  });

  it('gives up on a key that is computed from the legacy key', () => {
    const target = documents.targets.find((t) => t.kind === 'owned') as RoutedTable['targets'][number];
    expect(renamedKey({ ...target, fromSourceKey: (key) => ({ id: `x${key.id}` }) }, ['id'])).toBeUndefined();
    expect(renamedKey({ ...target, kind: 'reference' }, ['id'])).toBeUndefined();
  });
});

describe('servicesBelowFloor', () => {
  const floors = new Map([['documents', new Map<ServiceName, Lsn>([['document_db', 100n as Lsn]])]]);
  it.each([
    ['documents', 99n, ['document_db']],
    ['documents', 100n, []],
    ['documents', 101n, []],
    ['users', 1n, []],
  ] as const)('%s in a transaction committing at %s is held back from %j', (table, lsn, held) => {
    expect([...servicesBelowFloor(floors, table, lsn as Lsn)]).toEqual(held);
  });
});

describe('LegacyRowFactory', () => {
  it('gives rows with their columns and refuses a column the table does not have', () => {
    const row = new LegacyRowFactory('roles', ['id', 'name']).row(['1', null]);
    expect(row.id).toBe('1');
    expect(row.name).toBeNull();
    expect(JSON.stringify(row)).toBe('{"id":"1","name":null}');
    expect(() => row.permissions).toThrow(/legacy table public.roles has no column permissions/);
  });
});

describe('parseTextArrayLiteral', () => {
  it.each([
    ['{}', []],
    ['{1,20,300}', ['1', '20', '300']],
    ['{"a b","c,d","e\\"f","g\\\\h"}', ['a b', 'c,d', 'e"f', 'g\\h']],
    ['{0c8e9b5c-0000-4000-8000-000000000001,ffffffff-0000-4000-8000-000000000001}', ['0c8e9b5c-0000-4000-8000-000000000001', 'ffffffff-0000-4000-8000-000000000001']],
  ])('%s', (literal, items) => expect(parseTextArrayLiteral(literal)).toEqual(items));
});

describe('repairScope', () => {
  it.each([
    [undefined, 'documents', [{ table: 'documents', services: ['document_db'] }]],
    ['document_db', 'documents', [{ table: 'documents', services: ['document_db'] }]],
    ['user_db', undefined, [{ table: 'roles', services: ['user_db'] }, { table: 'users', services: ['user_db'] }]],
  ] as const)('--service %s --table %s', (service, table, scope) => {
    expect(repairScope(routing, service, table)).toEqual(scope);
  });

  it.each([
    [undefined, undefined, /name what to re-copy/],
    ['nope', undefined, /--service must be one of/],
    [undefined, 'sessions', /is not migrated/],
    [undefined, 'nope', /no mapping reads legacy table "nope"/],
    ['user_db', 'documents', /writes to document_db, not to user_db/],
  ] as const)('refuses --service %s --table %s', (service, table, message) => {
    expect(() => repairScope(routing, service, table)).toThrow(message);
  });
});
