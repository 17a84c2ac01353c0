import { describe, expect, it } from 'vitest';
import { INVERSE_MAPPINGS } from '../../mappings/index.js';
import { documentTemplates, documents, userDocuments } from '../../mappings/document/schema.js';
import { freeZones } from '../../mappings/freezone/schema.js';
import { userProfiles, users } from '../../mappings/user/schema.js';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { InverseMapping, ServiceRow } from '../../mappings/inverse-mapping.js';
import { keyChanged, putWrite, removeWrite, truncateWrite } from './legacy-write.js';

const inv = (table: PgTable): InverseMapping => INVERSE_MAPPINGS.find((i) => i.table === table) as InverseMapping;
const row = (values: Record<string, string | null | undefined>): ServiceRow<PgTable> => values as ServiceRow<PgTable>;

describe('legacy writes derived from service row changes', () => {
  it('a row table upserts its columns by the legacy key; an unsent (TOASTed) value is left out', () => {
    expect(putWrite(inv(freeZones), row({ id: '7', slug: 's', name: 'n', emirate: 'e', description: undefined, website: null, benefits: '{a,b}', min_setup_cost_aed: '1.50', max_setup_cost_aed: null, created_at: '2024-01-01 00:00:00.000001+00', updated_at: null }), undefined)).toEqual({
      kind: 'upsert',
      table: 'free_zones',
      key: { id: '7' },
      values: { id: '7', slug: 's', name: 'n', emirate: 'e', website: null, benefits: 'a\nb', setup_cost_min: '1.50', setup_cost_max: null, created_at: '2024-01-01 00:00:00.000001', updated_at: null },
    });
  });

  it('a part table sets its columns on a legacy row that must exist, and clears them on delete', () => {
    expect(putWrite(inv(userDocuments), row({ document_id: '9007199254740993', user_id: '4' }), undefined)).toEqual({ kind: 'set', table: 'documents', key: { id: '9007199254740993' }, values: { user_id: '4' }, mustExist: true });
    expect(removeWrite(inv(userDocuments), { document_id: '9007199254740993', user_id: null })).toEqual({ kind: 'set', table: 'documents', key: { id: '9007199254740993' }, values: { user_id: null }, mustExist: false });
    expect(removeWrite(inv(userProfiles), { user_id: '3' })).toMatchObject({ kind: 'set', table: 'users', key: { id: '3' }, values: { full_name: null, bio: null }, mustExist: false });
  });

  it('deletes are guarded by which table the legacy row is in; a truncate removes only that table’s rows', () => {
    expect(removeWrite(inv(documents), { id: '5' })).toEqual({ kind: 'delete', table: 'documents', key: { id: '5' }, guard: { is_template: 'f' } });
    expect(removeWrite(inv(documentTemplates), { id: '5' })).toEqual({ kind: 'delete', table: 'documents', key: { id: '5' }, guard: { is_template: 't' } });
    expect(removeWrite(inv(users), { id: '5' })).toEqual({ kind: 'delete', table: 'users', key: { id: '5' }, guard: {} });
    expect(truncateWrite(inv(documentTemplates))).toEqual({ kind: 'delete-all', table: 'documents', guard: { is_template: 't' } });
    expect(truncateWrite(inv(userProfiles))).toMatchObject({ kind: 'set-all', table: 'users', values: { full_name: null } });
  });

  it('a key change is told by the service key columns', () => {
    expect(keyChanged(inv(userProfiles), { user_id: '1', bio: 'a' }, { user_id: '2', bio: 'a' })).toBe(true);
    expect(keyChanged(inv(userProfiles), { user_id: '1', bio: 'a' }, { user_id: '1', bio: 'b' })).toBe(false);
  });
});
