import * as v from '../legacy-values.js';
import { NOW, type WorkloadAction } from './workload-action.js';

/** Scraper runs, new tasks and schedules, and the activity log (whose rows move in and out of 'scraper%'). */
export const SCRAPER_ACTIONS: readonly WorkloadAction[] = [
  {
    name: 'scraper run',
    weight: 6,
    writes: ['scraper_tasks', 'scraper_results', 'scraper_schedules', 'activity_logs'],
    run: async ({ rng, pick, write }) => {
      const task = await pick('scraper_tasks', 'update');
      if (!task) return;
      for (let i = 0; i < rng.int(1, 3); i += 1) {
        await write('scraper_results', 'insert', `INSERT INTO public.scraper_results (task_id, http_status, content, extracted, scraped_at) VALUES ($1, $2, $3, $4, ${NOW})`,
          [task, rng.pick([200, 200, 304, 404, 503]), rng.chance(0.3) ? rng.incompressible(rng.int(9_000, 12_000)) : '<p>ok</p>', v.jsonText({ fees: { min: v.moneyText(rng, 1, 9_000) } })]);
      }
      await write('scraper_tasks', 'update', `UPDATE public.scraper_tasks SET status = $2, updated_at = ${NOW} WHERE id = $1`, [task, rng.pick(['succeeded', 'failed'])]);
      await write('scraper_schedules', 'update', `UPDATE public.scraper_schedules SET next_run_at = ${NOW} + interval '1 hour' WHERE task_id = $1`, [task]);
      await write('activity_logs', 'insert', `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at) VALUES (NULL, 'run', 'scraper_task', $1::text, $2, ${NOW})`,
        [task, v.jsonText({ took_ms: rng.int(10, 9_000) })]);
    },
  },
  {
    name: 'new scraper task',
    weight: 2,
    writes: ['scraper_tasks', 'scraper_schedules'],
    run: async ({ rng, pick, write }) => {
      const zone = rng.chance(0.2) ? null : await pick('free_zones', 'key share');
      if (zone === undefined) return;
      const task = await write('scraper_tasks', 'insert', `INSERT INTO public.scraper_tasks (url, free_zone_id, kind, status, created_at, updated_at) VALUES ($1, $2, $3, 'queued', ${NOW}, ${NOW}) RETURNING id::text AS id`,
        [`https://fz.example.test/${rng.hex(6)}`, zone, rng.pick(v.SCRAPER_KINDS)]);
      await write('scraper_schedules', 'insert', `INSERT INTO public.scraper_schedules (task_id, cron, enabled, next_run_at) VALUES ($1, $2, $3, ${NOW})`,
        [(task.rows[0] as { id: string }).id, rng.pick(v.CRONS), rng.chance(0.8)]);
    },
  },
  {
    name: 'requeue tasks',
    weight: 1,
    writes: ['scraper_tasks', 'scraper_schedules'],
    run: async ({ rng, write }) => {
      // Multi-row updates over a range of tasks.
      const from = rng.int(1, 60);
      await write('scraper_tasks', 'update',
        `UPDATE public.scraper_tasks SET status = 'queued', updated_at = ${NOW} WHERE id IN (SELECT id FROM public.scraper_tasks WHERE id BETWEEN $1 AND $1 + 10 ORDER BY id FOR UPDATE)`, [from]);
      await write('scraper_schedules', 'update', `UPDATE public.scraper_schedules SET enabled = NOT enabled WHERE task_id BETWEEN $1 AND $1 + 3`, [from]);
    },
  },
  {
    name: 'scraper task delete',
    weight: 0.7,
    writes: ['scraper_tasks', 'scraper_results', 'scraper_schedules'],
    run: async ({ pick, write }) => {
      const task = await pick('scraper_tasks', 'update');
      if (!task) return;
      await write('scraper_results', 'delete', 'DELETE FROM public.scraper_results WHERE task_id = $1', [task]);
      await write('scraper_schedules', 'delete', 'DELETE FROM public.scraper_schedules WHERE task_id = $1', [task]);
      await write('scraper_tasks', 'delete', 'DELETE FROM public.scraper_tasks WHERE id = $1', [task]);
    },
  },
  {
    name: 'activity log',
    weight: 8,
    writes: ['activity_logs'],
    run: async ({ rng, write }) => {
      const count = rng.weighted([[6, 1], [2, 5], [1, 30]]);
      const entities: string[] = [];
      const actions: string[] = [];
      for (let i = 0; i < count; i += 1) {
        entities.push(rng.chance(0.4) ? rng.pick(v.SCRAPER_ENTITIES) : rng.pick(v.OTHER_ENTITIES));
        actions.push(rng.pick(v.ACTIONS));
      }
      await write('activity_logs', 'insert',
        `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at) SELECT $1::int, a, e, NULL, '{"via":"api","ñ":"✓"}'::jsonb, ${NOW} FROM unnest($2::text[], $3::text[]) AS u(a, e)`,
        [rng.int(1, 300), actions, entities]);
    },
  },
  {
    name: 'activity log entity change',
    weight: 3,
    writes: ['activity_logs'],
    run: async ({ rng, pick, write }) => {
      // Rows move into and out of the scraper service's filter (entity LIKE 'scraper%').
      const log = await pick('activity_logs', 'update');
      if (!log) return;
      await write('activity_logs', 'update', `UPDATE public.activity_logs SET entity = CASE WHEN entity LIKE 'scraper%' THEN $2 ELSE $3 END WHERE id = $1`,
        [log, rng.pick(v.OTHER_ENTITIES), rng.pick(v.SCRAPER_ENTITIES)]);
    },
  },
  {
    name: 'activity log cleanup',
    weight: 0.5,
    writes: ['activity_logs'],
    run: async ({ write }) => {
      await write('activity_logs', 'delete', `DELETE FROM public.activity_logs WHERE id IN (SELECT id FROM public.activity_logs ORDER BY id LIMIT 5 FOR UPDATE SKIP LOCKED)`);
    },
  },
];
