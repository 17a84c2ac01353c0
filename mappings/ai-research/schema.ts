/**
 * ai_research_db: the target tables of the AI research service (monolith.md, "ai_research_db").
 *
 * JS property keys equal the SQL column names. Ids keep the legacy type and sequence
 * (`conversations.id` is a uuid without a default, as in the legacy table). No foreign keys
 * (see user/schema.ts). The unique constraint is made DEFERRABLE INITIALLY DEFERRED by the
 * custom migration `deferrable_uniques`, which names it as it is named here.
 */
import { bigserial, integer, jsonb, pgTable, serial, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** Legacy `timestamp` (UTC) becomes `timestamptz`; strings keep the microseconds. */
const tz = { withTimezone: true, mode: 'string' } as const;

export const conversations = pgTable('conversations', {
  id: uuid('id').primaryKey(),
  user_id: integer('user_id'),
  title: text('title'),
  model: text('model'),
  created_at: timestamp('created_at', tz),
  updated_at: timestamp('updated_at', tz),
});

export const messages = pgTable('messages', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  conversation_id: uuid('conversation_id').notNull(),
  role: text('role').notNull(),
  content: text('content').notNull(),
  tokens: integer('tokens'),
  created_at: timestamp('created_at', tz),
});

export const assistantMemory = pgTable(
  'assistant_memory',
  {
    id: serial('id').primaryKey(),
    user_id: integer('user_id').notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    updated_at: timestamp('updated_at', tz),
  },
  (t) => [unique('assistant_memory_user_id_key_unique').on(t.user_id, t.key)],
);

export const aiTrainingData = pgTable('ai_training_data', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  source: text('source'),
  input: text('input').notNull(),
  output: text('output').notNull(),
  /** The non-empty trimmed comma-separated items of the legacy text, in order; empty when null. */
  tags: text('tags').array().notNull(),
  created_at: timestamp('created_at', tz),
});

export const researchTopics = pgTable('research_topics', {
  id: serial('id').primaryKey(),
  user_id: integer('user_id'),
  topic: text('topic').notNull(),
  status: text('status').notNull(),
  result: jsonb('result'),
  created_at: timestamp('created_at', tz),
  updated_at: timestamp('updated_at', tz),
});

export const webResearchItems = pgTable('web_research_items', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  topic_id: integer('topic_id'),
  url: text('url').notNull(),
  title: text('title'),
  content: text('content'),
  fetched_at: timestamp('fetched_at', tz),
});

export const tables = [conversations, messages, assistantMemory, aiTrainingData, researchTopics, webResearchItems] as const;
