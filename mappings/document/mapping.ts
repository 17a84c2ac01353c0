import { emit, owned, reference, type TableMapping, type TargetRow } from '../table-mapping.js';
import type { SourceRow } from '../../src/values.js';
import { derive, documentTypeCode, documentTypeName, keyColumn, need, sqlBoolean, utcTimestamptz } from '../transforms.js';
import { documentTemplates, documentTypes, documents, templateSubmissions, userDocuments } from './schema.js';

/**
 * document_db (monolith.md): legacy documents feed four tables. Every document ensures its type
 * (reference); a template goes to document_templates, any other document to documents, plus
 * user_documents when it has a user. `is_template` and `user_id` decide where a row goes and
 * `document_type` is a reference row's key, so an unsent value there stops the mapping (need).
 * When `is_template` flips, the new output simply lacks the old table's row and the engine
 * deletes it (owned rows are found from the id alone).
 */

const documentTypesTarget = reference('document_db', documentTypes);
const documentsTarget = owned('document_db', documents, (key) => ({ id: keyColumn(key, 'id') }));
const userDocumentsTarget = owned('document_db', userDocuments, (key) => ({ document_id: keyColumn(key, 'id') }));
const documentTemplatesTarget = owned('document_db', documentTemplates, (key) => ({ id: keyColumn(key, 'id') }));
const templateSubmissionsTarget = owned('document_db', templateSubmissions, (key) => ({ id: keyColumn(key, 'id') }));

function mapDocument(row: SourceRow): readonly TargetRow[] {
  const isTemplate = sqlBoolean(need(row, 'is_template', 'documents'));
  const code = documentTypeCode(need(row, 'document_type', 'documents'));
  const out: TargetRow[] = [emit(documentTypesTarget, { code, name: documentTypeName(code) })];
  if (isTemplate === true) {
    out.push(
      emit(documentTemplatesTarget, {
        id: row.id,
        title: row.title,
        document_type_code: code,
        fields: derive(row.template_fields, (fields) => fields ?? '[]'),
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
    );
  } else if (isTemplate === false) {
    out.push(
      emit(documentsTarget, {
        id: row.id,
        title: row.title,
        file_name: row.file_name,
        mime_type: row.mime_type,
        size_bytes: row.size_bytes,
        storage_key: row.storage_key,
        document_type_code: code,
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
    );
    const userId = need(row, 'user_id', 'documents');
    if (userId !== null) out.push(emit(userDocumentsTarget, { document_id: row.id, user_id: userId }));
  }
  return out;
}

export const documentMappings: readonly TableMapping[] = [
  {
    kind: 'mapped',
    source: 'documents',
    sourceKey: ['id'],
    targets: [documentTypesTarget, documentsTarget, userDocumentsTarget, documentTemplatesTarget],
    map: mapDocument,
  },
  {
    kind: 'mapped',
    source: 'template_submissions',
    sourceKey: ['id'],
    targets: [templateSubmissionsTarget],
    map: (row) => [
      emit(templateSubmissionsTarget, {
        id: row.id,
        template_id: row.template_id,
        user_id: row.user_id,
        data: row.data,
        status: row.status,
        submitted_at: utcTimestamptz(row.submitted_at),
      }),
    ],
  },
];
