import { describe, expect, it } from 'vitest';
import { expectRoundTrip, legacyRowOf, TRAPS } from '../../test/mappings/inverse-round-trip.js';
import { documentTemplates, documentTypes, documents, templateSubmissions, userDocuments } from './schema.js';

const document = (id: string, over: Record<string, string | null> = {}) => ({
  table: documents,
  row: { id, title: TRAPS.unicode, file_name: 'a.pdf', mime_type: 'application/pdf', size_bytes: TRAPS.bigint, storage_key: 's3://k', document_type_code: 'trade_license', created_at: TRAPS.micros, updated_at: TRAPS.bc, ...over },
});

describe('document_db inverse mappings: forward(inverse(rows)) = rows', () => {
  it('documents + user_documents → one legacy document with its user', () => {
    const refs = expectRoundTrip([document(TRAPS.bigint), { table: userDocuments, row: { document_id: TRAPS.bigint, user_id: '42' } }]);
    expect(refs).toEqual([{ table: documentTypes, row: { code: 'trade_license', name: 'Trade License' } }]);
  });

  it('a document without a user, with nulls', () => {
    expectRoundTrip([document('3', { file_name: null, mime_type: null, size_bytes: null, storage_key: null, created_at: null, updated_at: null })]);
    expect(legacyRowOf([document('3')]).row).toMatchObject({ is_template: 'f', user_id: null, document_type: 'trade_license' });
  });

  it('document_templates → a legacy template (is_template, fields as template_fields, empty fields kept)', () => {
    expectRoundTrip([{ table: documentTemplates, row: { id: '5', title: 'T', document_type_code: 'ünïcode_type', fields: '[]', created_at: TRAPS.micros, updated_at: null } }]);
    expectRoundTrip([{ table: documentTemplates, row: { id: '6', title: 'T', document_type_code: 'nda', fields: TRAPS.json, created_at: null, updated_at: null } }]);
    expect(legacyRowOf([{ table: documentTemplates, row: { id: '6', title: 'T', document_type_code: 'nda', fields: '[]', created_at: null, updated_at: null } }]).row).toMatchObject({ is_template: 't', template_fields: '[]' });
  });

  it('template_submissions 1:1', () => {
    expectRoundTrip([{ table: templateSubmissions, row: { id: TRAPS.bigint, template_id: TRAPS.bigint, user_id: '1', data: TRAPS.json, status: 'submitted', submitted_at: TRAPS.infinity } }]);
  });
});
