import { describe, expect, it } from 'vitest';
import { expectRoundTrip, legacyRowOf, TRAPS } from '../../test/mappings/inverse-round-trip.js';
import { aiTrainingData, assistantMemory, conversations, messages, researchTopics, webResearchItems } from './schema.js';

const training = (tags: string | null) => ({ table: aiTrainingData, row: { id: TRAPS.bigint, source: null, input: TRAPS.unicode, output: 'o', tags, created_at: TRAPS.micros } });

describe('ai_research_db inverse mappings: forward(inverse(rows)) = rows', () => {
  it.each([['tags', '{visa,"free zone","ünï 東京"}'], ['one tag', '{x}'], ['no tags', '{}'], ['a repeated tag', '{a,a}']])('ai_training_data: %s', (_name, tags) => {
    expectRoundTrip([training(tags)]);
  });

  it('tags join back with ", "; none is a legacy null', () => {
    expect(legacyRowOf([training('{visa,"free zone"}')]).row.tags).toBe('visa, free zone');
    expect(legacyRowOf([training('{}')]).row.tags).toBeNull();
  });

  it('the 1:1 tables', () => {
    const uuid = '6f1c2a9e-0b7d-4c51-9a3e-2f8d7c6b5a41';
    expectRoundTrip([{ table: conversations, row: { id: uuid, user_id: '1', title: TRAPS.unicode, model: null, created_at: TRAPS.micros, updated_at: TRAPS.bc } }]);
    expectRoundTrip([{ table: messages, row: { id: TRAPS.bigint, conversation_id: uuid, role: 'user', content: TRAPS.unicode.repeat(1000), tokens: '2147483647', created_at: TRAPS.infinity } }]);
    expectRoundTrip([{ table: assistantMemory, row: { id: '1', user_id: '1', key: 'k', value: TRAPS.json, updated_at: TRAPS.micros } }]);
    expectRoundTrip([{ table: researchTopics, row: { id: '1', user_id: null, topic: 't', status: 'done', result: null, created_at: null, updated_at: TRAPS.micros } }]);
    expectRoundTrip([{ table: webResearchItems, row: { id: TRAPS.bigint, topic_id: '1', url: 'https://x', title: null, content: TRAPS.unicode, fetched_at: TRAPS.bc } }]);
  });
});
