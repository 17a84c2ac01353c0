/**
 * document_db: the target tables of the document service (monolith.md, "document_db").
 *
 * JS property keys equal the SQL column names. Ids keep the legacy `bigserial` because the
 * service inserts without an explicit id after cutover; documents and document_templates both
 * come from legacy `documents`, so their ids never collide. No foreign keys (see user/schema.ts).
 */
import { bigint, bigserial, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Legacy `timestamp` (UTC) becomes `timestamptz`; strings keep the microseconds. */
const tz = { withTimezone: true, mode: 'string' } as const;

/** Reference rows, ensured from `lower(trim(documents.document_type))`. */
export const documentTypes = pgTable('document_types', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
});

export const documents = pgTable('documents', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  title: text('title').notNull(),
  file_name: text('file_name'),
  mime_type: text('mime_type'),
  size_bytes: bigint('size_bytes', { mode: 'bigint' }),
  storage_key: text('storage_key'),
  document_type_code: text('document_type_code').notNull(),
  created_at: timestamp('created_at', tz),
  updated_at: timestamp('updated_at', tz),
});

/** Who owns a document: one row per non-template document that has a user. */
export const userDocuments = pgTable('user_documents', {
  document_id: bigint('document_id', { mode: 'bigint' }).primaryKey(),
  user_id: integer('user_id').notNull(),
});

export const documentTemplates = pgTable('document_templates', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  title: text('title').notNull(),
  document_type_code: text('document_type_code').notNull(),
  fields: jsonb('fields').notNull(),
  created_at: timestamp('created_at', tz),
  updated_at: timestamp('updated_at', tz),
});

export const templateSubmissions = pgTable('template_submissions', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  template_id: bigint('template_id', { mode: 'bigint' }).notNull(),
  user_id: integer('user_id').notNull(),
  data: jsonb('data').notNull(),
  status: text('status').notNull(),
  submitted_at: timestamp('submitted_at', tz),
});

export const tables = [documentTypes, documents, userDocuments, documentTemplates, templateSubmissions] as const;
