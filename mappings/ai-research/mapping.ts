import { emit, owned, type TableMapping } from '../table-mapping.js';
import { commaTags, derive, keyColumn, utcTimestamptz } from '../transforms.js';
import { aiTrainingData, assistantMemory, conversations, messages, researchTopics, webResearchItems } from './schema.js';

/** ai_research_db (monolith.md): every table 1:1, except ai_training_data's tags as text[]. */

const conversationsTarget = owned('ai_research_db', conversations, (key) => ({ id: keyColumn(key, 'id') }));
const messagesTarget = owned('ai_research_db', messages, (key) => ({ id: keyColumn(key, 'id') }));
const assistantMemoryTarget = owned('ai_research_db', assistantMemory, (key) => ({ id: keyColumn(key, 'id') }));
const aiTrainingDataTarget = owned('ai_research_db', aiTrainingData, (key) => ({ id: keyColumn(key, 'id') }));
const researchTopicsTarget = owned('ai_research_db', researchTopics, (key) => ({ id: keyColumn(key, 'id') }));
const webResearchItemsTarget = owned('ai_research_db', webResearchItems, (key) => ({ id: keyColumn(key, 'id') }));

export const aiResearchMappings: readonly TableMapping[] = [
  {
    kind: 'mapped',
    source: 'conversations',
    sourceKey: ['id'],
    targets: [conversationsTarget],
    map: (row) => [
      emit(conversationsTarget, {
        id: row.id,
        user_id: row.user_id,
        title: row.title,
        model: row.model,
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'messages',
    sourceKey: ['id'],
    targets: [messagesTarget],
    map: (row) => [
      emit(messagesTarget, {
        id: row.id,
        conversation_id: row.conversation_id,
        role: row.role,
        content: row.content,
        tokens: row.tokens,
        created_at: utcTimestamptz(row.created_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'assistant_memory',
    sourceKey: ['id'],
    targets: [assistantMemoryTarget],
    map: (row) => [
      emit(assistantMemoryTarget, {
        id: row.id,
        user_id: row.user_id,
        key: row.key,
        value: row.value,
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'ai_training_data',
    sourceKey: ['id'],
    targets: [aiTrainingDataTarget],
    map: (row) => [
      emit(aiTrainingDataTarget, {
        id: row.id,
        source: row.source,
        input: row.input,
        output: row.output,
        tags: derive(row.tags, commaTags),
        created_at: utcTimestamptz(row.created_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'research_topics',
    sourceKey: ['id'],
    targets: [researchTopicsTarget],
    map: (row) => [
      emit(researchTopicsTarget, {
        id: row.id,
        user_id: row.user_id,
        topic: row.topic,
        status: row.status,
        result: row.result,
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'web_research_items',
    sourceKey: ['id'],
    targets: [webResearchItemsTarget],
    map: (row) => [
      emit(webResearchItemsTarget, {
        id: row.id,
        topic_id: row.topic_id,
        url: row.url,
        title: row.title,
        content: row.content,
        fetched_at: utcTimestamptz(row.fetched_at),
      }),
    ],
  },
];
