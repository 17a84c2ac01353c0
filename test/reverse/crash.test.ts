import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { readReverseCheckpoint } from '../../src/state/reverse-checkpoint.js';
import { reverseNames } from '../../src/reverse/reverse-names.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { runCli } from '../harness/run-cli.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { spawnPgcarve, type PgcarveProcess } from '../harness/pgcarve-process.js';
import { query, startSidecar } from '../streaming/sidecar-fixture.js';
import { auditSql, reverseSync, run } from './reverse-fixture.js';

/**
 * kill -9 of `pgcarve run` (the built CLI) while its reverse stream catches up on a backlog of the
 * service's transactions, several times: a trigger on the legacy tables audits every row write in
 * the same legacy transaction, so a service transaction applied twice would show up twice and a
 * lost one not at all.
 */
let dbs: TestDatabases;
let config: Config;
const TRANSACTIONS = 150;
const ROWS = 20;

beforeAll(async () => {
  dbs = await createTestDatabases();
  config = loadConfig({ ...dbs.env });
  // The slot while the legacy tables are empty (no backfill needed), then one zone.
  await (await startSidecar(dbs)).stop();
  await query(dbs.legacyUrl, `INSERT INTO free_zones (id, slug, name, emirate) VALUES (1, 'z', 'Z', 'Dubai')`);
});
afterAll(async () => {
  await dbs?.drop();
});

const start = (): PgcarveProcess => spawnPgcarve(['run'], { ...dbs.env, PGCARVE_HTTP_PORT: '0', PGCARVE_LOG_LEVEL: 'warn' });

async function legacyCheckpoint(): Promise<bigint> {
  const client = new pg.Client(dbs.legacyUrl);
  await client.connect();
  try {
    return (await readReverseCheckpoint(client, reverseNames(config.slot, 'freezone_db').slot)).lsn;
  } finally {
    await client.end();
  }
}

describe('kill -9 of pgcarve run during reverse replication', () => {
  it('loses and doubles nothing in the legacy tables', async () => {
    let current = start();
    const fence = await emitFence(dbs.legacyUrl);
    expect((await waitForFence(dbs.serviceUrls, config.slot, fence, 60_000)).reached, current.output()).toBe(true);
    const cutover = await runCli(['cutover', '--service', 'freezone_db', '--assume-frozen', '--timeout', '60', '--json'], dbs.env);
    expect(cutover.code, cutover.stdout).toBe(0);
    await run(dbs.legacyUrl, [auditSql(['free_zones', 'establishment_guides'])]);
    const statements: string[] = [];
    for (let t = 0; t < TRANSACTIONS; t++) {
      statements.push(`INSERT INTO establishment_guides (id, free_zone_id, entity_type, title, steps) SELECT ${t * 1000} + g, 1, 'LLC', 'guide', '[]' FROM generate_series(1, ${ROWS}) g;
                       UPDATE free_zones SET name = 'name ${t}' WHERE id = 1`);
    }
    await run(dbs.serviceUrls.freezone_db, statements);
    let kills = 0;
    let movingKills = 0;
    while (kills < 5) {
      const before = await legacyCheckpoint();
      await waitFor('the reverse stream to move', async () => (await legacyCheckpoint()) > before || kills >= 3, 60_000, 20);
      await new Promise((resolve) => setTimeout(resolve, 50 + ((kills * 137) % 300)));
      current.child.kill('SIGKILL');
      await current.exited;
      kills += 1;
      if ((await legacyCheckpoint()) > before) movingKills += 1;
      current = start();
    }
    try {
      await reverseSync(config, 'freezone_db', 180_000);
    } finally {
      current.child.kill('SIGTERM');
      await current.exited;
    }
    expect(movingKills).toBeGreaterThanOrEqual(2);
    const counts = await query<{ tbl: string; op: string; rows: string; ids: string }>(dbs.legacyUrl, 'SELECT tbl, op, count(*)::text AS rows, count(DISTINCT id)::text AS ids FROM audit GROUP BY tbl, op ORDER BY tbl, op');
    expect(counts).toEqual([
      { tbl: 'establishment_guides', op: 'INSERT', rows: String(TRANSACTIONS * ROWS), ids: String(TRANSACTIONS * ROWS) },
      { tbl: 'free_zones', op: 'UPDATE', rows: String(TRANSACTIONS), ids: '1' },
    ]);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls, ['freezone_db'])).toEqual([]);
  });
});
