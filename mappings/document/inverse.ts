import { copy, inverse, type InverseMapping } from '../inverse-mapping.js';
import { legacyTimestamp, oneToOne } from '../inverse-transforms.js';
import { documentTemplates, documents, templateSubmissions, userDocuments } from './schema.js';

/**
 * document_db back to legacy (the inverse of mapping.ts): `documents`, `user_documents` and
 * `document_templates` merge back into legacy `documents`, with `is_template` saying which table
 * the row is in and `user_id` from `user_documents`. A delete from `documents` (or
 * `document_templates`) deletes the legacy row only while it is not (or is) a template, so a
 * document that moves between the two tables survives in either order of the service's writes.
 * The two tables share the legacy id space: an id in both at once (two sequences that ran into
 * each other) stops the reverse stream rather than overwrite one with the other.
 * `document_type_code` goes back as the legacy `document_type` itself: the code is the canonical
 * type (`lower(trim(code))` is the code again); `document_types` is reference data the forward
 * mapping derives from it, so it needs no inverse.
 */
export const documentInverses: readonly InverseMapping[] = [
  inverse({
    service: 'document_db',
    table: documents,
    legacy: 'documents',
    key: { id: 'id' },
    shape: { kind: 'row', guard: { is_template: 'f' }, exclusiveWith: { table: documentTemplates, column: 'id' } },
    values: (row) => ({
      ...copy(row, ['id', 'title', 'file_name', 'mime_type', 'size_bytes', 'storage_key']),
      document_type: row.document_type_code,
      is_template: 'f',
      created_at: legacyTimestamp(row.created_at),
      updated_at: legacyTimestamp(row.updated_at),
    }),
  }),
  inverse({
    service: 'document_db',
    table: userDocuments,
    legacy: 'documents',
    key: { id: 'document_id' },
    shape: { kind: 'part', clear: { user_id: null } },
    values: (row) => ({ user_id: row.user_id }),
  }),
  inverse({
    service: 'document_db',
    table: documentTemplates,
    legacy: 'documents',
    key: { id: 'id' },
    shape: { kind: 'row', guard: { is_template: 't' }, exclusiveWith: { table: documents, column: 'id' } },
    values: (row) => ({
      ...copy(row, ['id', 'title']),
      document_type: row.document_type_code,
      template_fields: row.fields,
      is_template: 't',
      created_at: legacyTimestamp(row.created_at),
      updated_at: legacyTimestamp(row.updated_at),
    }),
  }),
  oneToOne('document_db', templateSubmissions, 'template_submissions', ['submitted_at']),
];
