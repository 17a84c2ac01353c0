import * as v from '../legacy-values.js';
import { NOW, type WorkloadAction } from './workload-action.js';

const TEMPLATE_FIELDS = `[{"name":"company","type":"text","label":"Company / الشركة"},{"name":"capital","type":"number","max":123456789012345678901234567890}]`;

/** Uploads, renames, deletes, template flips and template submissions. */
export const DOCUMENT_ACTIONS: readonly WorkloadAction[] = [
  {
    name: 'document upload',
    weight: 8,
    writes: ['documents'],
    run: async ({ rng, pick, write }) => {
      const system = rng.chance(0.1);
      const user = system ? null : await pick('users', 'key share');
      if (user === undefined) return;
      const count = rng.weighted([[6, 1], [3, 3], [1, 12]]);
      for (let i = 0; i < count; i += 1) {
        await write('documents', 'insert',
          `INSERT INTO public.documents (user_id, title, file_name, mime_type, size_bytes, storage_key, document_type, is_template, template_fields, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5::text::bigint, $6, $7, false, NULL, ${NOW}, ${NOW})`,
          [user, `Upload ${rng.pick(['📄', 'عقد', 'scan, p. 2', '"final"'])} ${rng.hex(4)}`, `upload-${rng.hex(6)}${rng.pick(['.pdf', '.PNG', ' (1).docx'])}`, rng.pick(v.MIME_TYPES),
            rng.chance(0.05) ? v.BEYOND_2_53 : String(rng.int(1, 40_000_000)), `s3://legacy-docs/${rng.uuid()}`, rng.pick(v.DOCUMENT_TYPES)]);
      }
    },
  },
  {
    name: 'document rename',
    weight: 5,
    writes: ['documents'],
    run: async ({ rng, pick, write }) => {
      const doc = await pick('documents', 'update');
      if (!doc) return;
      await write('documents', 'update', `UPDATE public.documents SET title = $2, document_type = CASE WHEN $3 THEN $4 ELSE document_type END, updated_at = ${NOW} WHERE id = $1`,
        [doc, `Renamed ${rng.pick(['✏️', 'نهائي', 'v3 (approved)'])} ${rng.hex(4)}`, rng.chance(0.2), rng.pick(v.DOCUMENT_TYPES)]);
    },
  },
  {
    name: 'template flip',
    weight: 3,
    writes: ['documents'],
    run: async ({ rng, pick, write }) => {
      const doc = await pick('documents', 'update');
      if (!doc) return;
      // A document becoming a template (and back) moves between target tables.
      await write('documents', 'update',
        `UPDATE public.documents SET is_template = NOT is_template,
                template_fields = CASE WHEN is_template THEN NULL WHEN $2 THEN NULL ELSE $3::jsonb END, updated_at = ${NOW} WHERE id = $1`,
        [doc, rng.chance(0.2), TEMPLATE_FIELDS]);
    },
  },
  {
    name: 'template submission',
    weight: 6,
    writes: ['template_submissions'],
    run: async ({ rng, pick, write }) => {
      const template = await pick('documents', 'key share', 'is_template');
      const user = await pick('users', 'key share');
      if (!template || !user) return;
      await write('template_submissions', 'insert', `INSERT INTO public.template_submissions (template_id, user_id, data, status, submitted_at) VALUES ($1, $2, $3, $4, ${NOW})`,
        [template, user, v.jsonText({ company: v.companyName(rng), answers: v.nestedJson(rng) }), rng.pick(v.SUBMISSION_STATUSES)]);
    },
  },
  {
    name: 'submission review',
    weight: 2,
    writes: ['template_submissions'],
    run: async ({ rng, write }) => {
      // A multi-row update: a reviewer approves a batch.
      await write('template_submissions', 'update',
        `UPDATE public.template_submissions SET status = $2 WHERE id IN (SELECT id FROM public.template_submissions WHERE status = 'submitted' AND id >= $1::bigint ORDER BY id LIMIT 5 FOR UPDATE)`,
        [String(rng.int(1, 200)), rng.pick(['approved', 'rejected'])]);
    },
  },
  {
    name: 'document delete',
    weight: 1.5,
    writes: ['documents', 'template_submissions'],
    run: async ({ pick, write }) => {
      const doc = await pick('documents', 'update');
      if (!doc) return;
      await write('template_submissions', 'delete', 'DELETE FROM public.template_submissions WHERE template_id = $1', [doc]);
      await write('documents', 'delete', 'DELETE FROM public.documents WHERE id = $1', [doc]);
    },
  },
];
