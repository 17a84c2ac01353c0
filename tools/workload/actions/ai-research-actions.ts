import * as v from '../legacy-values.js';
import { NOW, type WorkloadAction } from './workload-action.js';
import type { Prng } from '../prng.js';

/** An assistant's answer: often over 8 kB and incompressible, so PostgreSQL TOASTs it. */
function messageContent(rng: Prng): string {
  return rng.chance(0.4) ? `${rng.pick(['Answer: ', 'الجواب: ', '📋 '])}${rng.incompressible(rng.int(9_000, 16_000))}` : rng.pick(['Thanks!', 'What about visas?', 'شكرا', 'Line 1\r\nLine 2', 'e\u0301 🙂']);
}

/** Conversations with long messages, assistant memory, training data and web research. */
export const AI_RESEARCH_ACTIONS: readonly WorkloadAction[] = [
  {
    name: 'new conversation',
    weight: 4,
    writes: ['conversations', 'messages'],
    run: async ({ rng, pick, write }) => {
      const user = rng.chance(0.05) ? null : await pick('users', 'key share');
      if (user === undefined) return;
      const conversation = await write('conversations', 'insert',
        `INSERT INTO public.conversations (id, user_id, title, model, created_at, updated_at) VALUES (gen_random_uuid(), $1, $2, $3, ${NOW}, ${NOW}) RETURNING id::text AS id`,
        [user, rng.pick(v.TOPICS), rng.pick(v.MODELS)]);
      const id = (conversation.rows[0] as { id: string }).id;
      for (let i = 0; i < rng.int(1, 4); i += 1) {
        const content = messageContent(rng);
        await write('messages', 'insert', `INSERT INTO public.messages (conversation_id, role, content, tokens, created_at) VALUES ($1, $2, $3, $4, ${NOW})`,
          [id, i % 2 === 0 ? 'user' : 'assistant', content, Math.ceil(content.length / 4)]);
      }
    },
  },
  {
    name: 'chat message',
    weight: 10,
    writes: ['conversations', 'messages'],
    run: async ({ rng, pick, write }) => {
      const conversation = await pick('conversations', 'key share');
      if (!conversation) return;
      const content = messageContent(rng);
      await write('messages', 'insert', `INSERT INTO public.messages (conversation_id, role, content, tokens, created_at) VALUES ($1, $2, $3, $4, ${NOW})`,
        [conversation, rng.pick(['user', 'assistant']), content, Math.ceil(content.length / 4)]);
      if (rng.chance(0.5)) await write('conversations', 'update', `UPDATE public.conversations SET updated_at = ${NOW} WHERE id = $1`, [conversation]);
    },
  },
  {
    name: 'conversation delete',
    weight: 1,
    writes: ['conversations', 'messages'],
    run: async ({ pick, write }) => {
      const conversation = await pick('conversations', 'update');
      if (!conversation) return;
      await write('messages', 'delete', 'DELETE FROM public.messages WHERE conversation_id = $1', [conversation]);
      await write('conversations', 'delete', 'DELETE FROM public.conversations WHERE id = $1', [conversation]);
    },
  },
  {
    name: 'assistant memory upsert',
    weight: 5,
    writes: ['assistant_memory'],
    run: async ({ rng, write }) => {
      for (let i = 0; i < rng.int(1, 3); i += 1) {
        await write('assistant_memory', 'insert',
          `INSERT INTO public.assistant_memory (user_id, key, value, updated_at) VALUES ($1, $2, $3, ${NOW})
           ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [rng.int(1, 300), rng.pick(['language', 'budget', 'tone', 'preferred_zone', 'last_topic']), v.jsonText(v.nestedJson(rng, 1))]);
      }
    },
  },
  {
    name: 'training data import',
    weight: 2,
    writes: ['ai_training_data'],
    run: async ({ rng, write }) => {
      const count = rng.weighted([[3, 1], [1, 25]]);
      const sources: (string | null)[] = [];
      const inputs: string[] = [];
      const tags: (string | null)[] = [];
      for (let i = 0; i < count; i += 1) {
        sources.push(rng.chance(0.2) ? null : 'chat');
        inputs.push(`Q: ${rng.pick(v.TOPICS)}?`);
        tags.push(v.tagsText(rng));
      }
      await write('ai_training_data', 'insert',
        `INSERT INTO public.ai_training_data (source, input, output, tags, created_at) SELECT s, i, 'A: it depends 🤷', t, ${NOW} FROM unnest($1::text[], $2::text[], $3::text[]) AS u(s, i, t)`,
        [sources, inputs, tags]);
    },
  },
  {
    name: 'research run',
    weight: 3,
    writes: ['research_topics', 'web_research_items'],
    run: async ({ rng, pick, write }) => {
      if (rng.chance(0.4)) {
        const topic = await write('research_topics', 'insert', `INSERT INTO public.research_topics (user_id, topic, status, created_at, updated_at) VALUES ($1, $2, 'running', ${NOW}, ${NOW}) RETURNING id::text AS id`,
          [rng.int(1, 300), rng.pick(v.TOPICS)]);
        const id = (topic.rows[0] as { id: string }).id;
        for (let i = 0; i < rng.int(1, 3); i += 1) {
          await write('web_research_items', 'insert', `INSERT INTO public.web_research_items (topic_id, url, title, content, fetched_at) VALUES ($1, $2, $3, $4, ${NOW})`,
            [id, `https://news.example.test/${rng.hex(8)}?lang=ar&q=${encodeURIComponent('منطقة حرة')}`, rng.pick(v.TOPICS), rng.chance(0.5) ? `<html>${rng.incompressible(rng.int(9_000, 20_000))}</html>` : null]);
        }
        return;
      }
      const topic = await pick('research_topics', 'update');
      if (!topic) return;
      await write('research_topics', 'update', `UPDATE public.research_topics SET status = 'done', result = $2, updated_at = ${NOW} WHERE id = $1`,
        [topic, v.jsonText({ summary: v.nestedJson(rng), sources: rng.int(1, 9) })]);
    },
  },
  {
    name: 'research topic delete',
    weight: 0.7,
    writes: ['research_topics', 'web_research_items'],
    run: async ({ pick, write }) => {
      const topic = await pick('research_topics', 'update');
      if (!topic) return;
      await write('web_research_items', 'delete', 'DELETE FROM public.web_research_items WHERE topic_id = $1', [topic]);
      await write('research_topics', 'delete', 'DELETE FROM public.research_topics WHERE id = $1', [topic]);
    },
  },
];
