import * as v from '../legacy-values.js';
import { NOW, type WorkloadAction } from './workload-action.js';

/** Content edits of free zones, their activities and guides; new zones and closed ones. */
export const FREEZONE_ACTIONS: readonly WorkloadAction[] = [
  {
    name: 'free zone edit',
    weight: 3,
    writes: ['free_zones'],
    run: async ({ rng, pick, write }) => {
      const zone = await pick('free_zones', 'update');
      if (!zone) return;
      await write('free_zones', 'update',
        `UPDATE public.free_zones SET benefits = $2, setup_cost_min = $3::numeric, setup_cost_max = $4::numeric, updated_at = ${NOW} WHERE id = $1`,
        [zone, v.benefitsText(rng), v.moneyText(rng, 5_000, 30_000), v.moneyText(rng, 30_000, 250_000)]);
    },
  },
  {
    name: 'activity category edit',
    weight: 3,
    writes: ['business_activities'],
    run: async ({ rng, pick, write }) => {
      const activity = await pick('business_activities', 'update');
      if (!activity) return;
      const [category, description] = rng.pick(v.CATEGORIES);
      await write('business_activities', 'update', 'UPDATE public.business_activities SET category = $2, category_description = $3, name = $4 WHERE id = $1',
        [activity, category, description, rng.pick(v.ACTIVITY_NAMES)]);
    },
  },
  {
    name: 'new activity',
    weight: 2,
    writes: ['business_activities'],
    run: async ({ rng, pick, unique, write }) => {
      const zone = await pick('free_zones', 'key share');
      if (!zone) return;
      const [category, description] = rng.pick(v.CATEGORIES);
      const regulated = rng.chance(0.3);
      await write('business_activities', 'insert',
        `INSERT INTO public.business_activities (free_zone_id, code, name, description, category, category_description, is_regulated, approval_authority, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${NOW})`,
        [zone, `W-${unique()}`, rng.pick(v.ACTIVITY_NAMES), null, category, description, regulated, regulated ? rng.pick(v.APPROVAL_AUTHORITIES) : null]);
    },
  },
  {
    name: 'regulation sweep',
    weight: 1,
    writes: ['business_activities'],
    run: async ({ rng, pick, write }) => {
      // A multi-row update over one zone's activities.
      const zone = await pick('free_zones', 'key share');
      if (!zone) return;
      await write('business_activities', 'update',
        'UPDATE public.business_activities SET is_regulated = NOT is_regulated, approval_authority = CASE WHEN is_regulated THEN NULL ELSE $2 END WHERE free_zone_id = $1',
        [zone, rng.pick(v.APPROVAL_AUTHORITIES)]);
    },
  },
  {
    name: 'guide edit',
    weight: 2,
    writes: ['establishment_guides'],
    run: async ({ rng, pick, write }) => {
      const guide = await pick('establishment_guides', 'update');
      if (!guide) return;
      await write('establishment_guides', 'update', 'UPDATE public.establishment_guides SET steps = $2, required_documents = $3::text[], estimated_days = $4, updated_at = ' + NOW + ' WHERE id = $1',
        [guide, v.jsonText([{ order: 1, title: 'Apply ✅', details: v.nestedJson(rng) }]), v.textArrayLiteral(v.REQUIRED_DOCUMENTS.filter(() => rng.chance(0.5))), rng.int(2, 40)]);
    },
  },
  {
    name: 'business setup progress',
    weight: 2,
    writes: ['business_setup'],
    run: async ({ rng, pick, write }) => {
      const user = await pick('users', 'key share');
      const zone = await pick('free_zones', 'key share');
      if (!user || !zone) return;
      await write('business_setup', 'insert',
        `INSERT INTO public.business_setup (user_id, free_zone_id, activity_ids, entity_type, status, progress, created_at, updated_at) VALUES ($1, $2, $3::int[], $4, 'draft', $5, ${NOW}, ${NOW})`,
        [user, zone, `{${rng.int(1, 100)},NULL}`, rng.pick(v.ENTITY_TYPES), v.jsonText({ step: 1 })]);
    },
  },
  {
    name: 'new free zone',
    weight: 0.4,
    writes: ['free_zones', 'business_activities', 'establishment_guides'],
    run: async ({ rng, unique, write }) => {
      const id = unique();
      const zone = await write('free_zones', 'insert',
        `INSERT INTO public.free_zones (slug, name, emirate, description, website, benefits, setup_cost_min, setup_cost_max, created_at, updated_at)
         VALUES ($1, $2, $3, NULL, NULL, $4, $5::numeric, $6::numeric, ${NOW}, ${NOW}) RETURNING id::text AS id`,
        [`wl-${id}`, `${rng.pick(v.FREE_ZONE_NAMES)} (${id})`, rng.pick(v.EMIRATES), v.benefitsText(rng), v.moneyText(rng, 5_000, 30_000), v.moneyText(rng, 30_000, 250_000)]);
      const zoneId = (zone.rows[0] as { id: string }).id;
      for (let i = 0; i < rng.int(1, 5); i += 1) {
        const [category, description] = rng.pick(v.CATEGORIES);
        await write('business_activities', 'insert', `INSERT INTO public.business_activities (free_zone_id, code, name, category, category_description, created_at) VALUES ($1, $2, $3, $4, $5, ${NOW})`,
          [zoneId, `ACT-${i + 1}`, rng.pick(v.ACTIVITY_NAMES), category, description]);
      }
      await write('establishment_guides', 'insert', `INSERT INTO public.establishment_guides (free_zone_id, entity_type, title, steps, required_documents, updated_at) VALUES ($1, 'FZE', 'Getting started', '[]', $2::text[], ${NOW})`,
        [zoneId, v.textArrayLiteral(['Passport, copy', null, '"quoted"'])]);
    },
  },
  {
    name: 'free zone closed',
    weight: 0.3,
    writes: ['free_zones', 'business_activities', 'establishment_guides', 'business_setup', 'scraper_tasks', 'scraper_results', 'scraper_schedules'],
    run: async ({ pick, read, write }) => {
      // Only zones the workload created close, so the seeded catalogue stays.
      const zone = await pick('free_zones', 'update', `slug LIKE 'wl-%'`);
      if (!zone) return;
      await read('SELECT id FROM public.scraper_tasks WHERE free_zone_id = $1 ORDER BY id FOR UPDATE', [zone]);
      await write('scraper_results', 'delete', 'DELETE FROM public.scraper_results WHERE task_id IN (SELECT id FROM public.scraper_tasks WHERE free_zone_id = $1)', [zone]);
      await write('scraper_schedules', 'delete', 'DELETE FROM public.scraper_schedules WHERE task_id IN (SELECT id FROM public.scraper_tasks WHERE free_zone_id = $1)', [zone]);
      await write('scraper_tasks', 'delete', 'DELETE FROM public.scraper_tasks WHERE free_zone_id = $1', [zone]);
      await write('business_setup', 'delete', 'DELETE FROM public.business_setup WHERE free_zone_id = $1', [zone]);
      await write('establishment_guides', 'delete', 'DELETE FROM public.establishment_guides WHERE free_zone_id = $1', [zone]);
      await write('business_activities', 'delete', 'DELETE FROM public.business_activities WHERE free_zone_id = $1', [zone]);
      await write('free_zones', 'delete', 'DELETE FROM public.free_zones WHERE id = $1', [zone]);
    },
  },
];
