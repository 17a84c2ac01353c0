import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmbeddedCluster, embeddedBinDir } from '../../tools/embedded/embedded-cluster.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query } from '../streaming/sidecar-fixture.js';
import { pgcarve } from './full-run.js';

/**
 * PostgreSQL 13's pgoutput has no `messages` option (it came in 14), and pgcarve's fences are
 * logical decoding messages: on a 13 legacy server `run` must refuse before it creates anything,
 * naming the version, instead of failing in the stream with "unrecognized pgoutput option".
 */
let cluster: EmbeddedCluster;
let dbs: TestDatabases;

beforeAll(async () => {
  cluster = await EmbeddedCluster.create({ name: 'pg13', binDir: await embeddedBinDir(13) });
  dbs = await createTestDatabases({ adminUrl: cluster.url() });
});
afterAll(async () => {
  await dbs?.drop();
  await cluster?.destroy();
});

it('run against a PostgreSQL 13 legacy server exits 3 saying 14 or newer is needed, and creates no slot', async () => {
  const step = await pgcarve(['run'], dbs.env);
  expect(step.code, step.output).toBe(3);
  expect(step.output).toMatch(/PostgreSQL 13, but pgcarve needs 14 or newer/);
  expect(await query(dbs.legacyUrl, 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
}, 120_000);
