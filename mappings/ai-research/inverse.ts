import { copy, inverse, type InverseMapping } from '../inverse-mapping.js';
import { legacyTimestamp, oneToOne, tagText } from '../inverse-transforms.js';
import { derive } from '../transforms.js';
import { aiTrainingData, assistantMemory, conversations, messages, researchTopics, webResearchItems } from './schema.js';

/** ai_research_db back to legacy (the inverse of mapping.ts): 1:1, except tags join back with ", ". */
export const aiResearchInverses: readonly InverseMapping[] = [
  oneToOne('ai_research_db', conversations, 'conversations', ['created_at', 'updated_at']),
  oneToOne('ai_research_db', messages, 'messages', ['created_at']),
  oneToOne('ai_research_db', assistantMemory, 'assistant_memory', ['updated_at']),
  inverse({
    service: 'ai_research_db',
    table: aiTrainingData,
    legacy: 'ai_training_data',
    key: { id: 'id' },
    shape: { kind: 'row' },
    values: (row) => ({
      ...copy(row, ['id', 'source', 'input', 'output']),
      tags: derive(row.tags, tagText),
      created_at: legacyTimestamp(row.created_at),
    }),
  }),
  oneToOne('ai_research_db', researchTopics, 'research_topics', ['created_at', 'updated_at']),
  oneToOne('ai_research_db', webResearchItems, 'web_research_items', ['fetched_at']),
];
