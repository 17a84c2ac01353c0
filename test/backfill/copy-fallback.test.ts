import { afterAll, beforeAll, expect, it } from 'vitest';
import { establishmentGuides } from '../../mappings/freezone/schema.js';
import { LEGACY_RULES } from '../../mappings/index.js';
import { keyColumn } from '../../mappings/transforms.js';
import { Backfill } from '../../src/backfill/backfill.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { owned, type LegacyTableRule, type TargetRow } from '../../mappings/table-mapping.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query, startSidecar, target, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { allStates } from './backfill-fixture.js';

/**
 * The backfill COPYs rows straight into the target tables it emptied. When a key is already there
 * (here: a mapping that sends 400 source rows to 100 target keys, so later pages hit keys earlier
 * pages wrote), the COPY fails and the batch must be written again as upserts, as before: the copy
 * completes with one row per target key instead of stopping on a duplicate key.
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
  await query(
    dbs.legacyUrl,
    `INSERT INTO public.establishment_guides (id, free_zone_id, entity_type, title, steps, required_documents, estimated_days, updated_at)
     SELECT g, NULL, 'llc', 'guide ' || g, jsonb_build_object('g', g), '{}', g, '2024-01-01 00:00:00.123456' FROM generate_series(1, 400) AS g`,
  );
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

const collide = (id: string | null): string | null => (id === null ? null : String((Number(id) % 100) + 1));
const guides = owned('freezone_db', establishmentGuides, (key) => ({ id: collide(keyColumn(key, 'id')) }));
const rules: readonly LegacyTableRule[] = LEGACY_RULES.map((rule) =>
  rule.kind === 'mapped' && rule.source === 'establishment_guides'
    ? { ...rule, targets: [guides], map: (row) => rule.map(row).map((t): TargetRow => ({ target: guides, row: { ...t.row, id: collide(t.row.id as string | null) } }) as TargetRow) }
    : rule,
);

it('a batch whose keys exist in the emptied target table is written as upserts', async () => {
  const config = loadConfig(dbs.env);
  const backfill = new Backfill({ config, log: silentLogger, pageRows: 40 });
  running = await startSidecar(dbs, {}, { rules, backfill });
  const [count] = await query<{ n: number; distinct: number }>(target(dbs, 'freezone_db'), 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct FROM public.establishment_guides');
  expect(count).toEqual({ n: 100, distinct: 100 });
  const state = (await allStates(dbs)).get('freezone_db.establishment_guides');
  expect(state?.kind).toBe('copied');
  expect(state?.rowsCopied).toBe(400);
});
