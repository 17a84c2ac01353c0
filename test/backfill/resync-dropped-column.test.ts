import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backfill } from '../../src/backfill/backfill.js';
import { runCli } from '../harness/run-cli.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import type { ServiceName } from '../../mappings/services.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { allStates } from './backfill-fixture.js';
import { seedLegacy } from './seed-legacy.js';

/**
 * Issue 12, item 7: a mapped legacy column is dropped and added back while changes are written.
 * The changes in between were decoded without the column, so the writer stops on them, and a
 * restart stops it again at the same place. `pgcarve backfill --resync --table users` (run with
 * the sidecar stopped) and a restart must get it going, with the result exact and nothing of the
 * failing transaction's other changes lost.
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
  await seedLegacy(dbs.legacyUrl, 300);
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

const start = async (): Promise<RunningSidecar> => await startSidecar(dbs, {}, { backfill: new Backfill({ config: loadConfig(dbs.env), log: silentLogger }) });

async function pgcarve(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(args, { ...dbs.env }).then((r) => { out += r.stdout; out += r.stderr; return r.code; });
  return { code, out };
}

async function stoppedWriter(sidecar: RunningSidecar, service: ServiceName): Promise<string> {
  return await waitFor(
    `the ${service} writer stopped`,
    () => {
      const state = sidecar.sidecar.writers.find((w) => w.service === service)?.state;
      return state?.kind === 'stopped' ? state.error.message : undefined;
    },
    60_000,
  );
}

describe('a mapped column dropped and added back', () => {
  it('stops the writer, and `pgcarve backfill --resync` plus a restart recovers it exactly', async () => {
    running = await start();
    await running.sync(60_000);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);

    await query(dbs.legacyUrl, 'ALTER TABLE users DROP COLUMN phone');
    // The failing transaction also writes roles (the same service) and documents (another one).
    await query(
      dbs.legacyUrl,
      `BEGIN;
       UPDATE users SET full_name = 'renamed while phone was gone', updated_at = now() WHERE id % 10 = 0;
       INSERT INTO roles (name, permissions) VALUES ('written with the failing change', '[]');
       UPDATE documents SET title = 'same transaction, other service' WHERE id % 9 = 0;
       COMMIT;`,
    );
    await query(dbs.legacyUrl, `INSERT INTO users (email, password_hash, role_id) VALUES ('while-gone@example.ae', 'h', 1), ('deleted-while-gone@example.ae', 'h', 1)`);
    await query(dbs.legacyUrl, `DELETE FROM users WHERE email = 'deleted-while-gone@example.ae'`);

    // The mapping still reads the column: --resync refuses and says what to do.
    const refused = await pgcarve('backfill', '--resync', '--table', 'users');
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/no column phone, which its mapping reads.*add the column back/);

    await query(dbs.legacyUrl, 'ALTER TABLE users ADD COLUMN phone text');
    await query(dbs.legacyUrl, `UPDATE users SET phone = '+971 ' || id, updated_at = now() WHERE id % 7 = 0`);
    await query(dbs.legacyUrl, `INSERT INTO users (email, password_hash, role_id, phone) VALUES ('after@example.ae', 'h', 2, '+1 555')`);

    const message = await stoppedWriter(running, 'user_db');
    expect(message).toMatch(/has no column phone.*pgcarve backfill --resync --table users/);
    await running.stop();

    // A restart alone stops at the same change: the WAL still holds it decoded without the column.
    running = await start();
    expect(await stoppedWriter(running, 'user_db')).toBe(message);
    await running.stop();
    running = undefined;

    expect((await pgcarve('backfill', '--resync', '--table', 'users', '--service', 'user_db')).code).toBe(2);
    const resynced = await pgcarve('backfill', '--resync', '--table', 'users');
    expect(resynced.out).toMatch(/users → user_db: marked to be copied again/);
    expect(resynced.out).toMatch(/start `pgcarve run` now/);
    expect(resynced.code).toBe(0);
    expect((await allStates(dbs)).get('user_db.users')?.kind).toBe('pending');

    running = await start();
    await query(dbs.legacyUrl, `UPDATE users SET phone = 'after the resync' WHERE id % 11 = 0`);
    await running.sync(60_000);
    expect(running.sidecar.writers.map((w) => w.state.kind)).toEqual(['running', 'running', 'running', 'running', 'running']);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
    const roles = await query<{ n: number }>(dbs.serviceUrls.user_db, `SELECT count(*)::int AS n FROM roles WHERE name = 'written with the failing change'`);
    expect(roles[0]?.n).toBe(1);
    const states = await allStates(dbs);
    expect(states.get('user_db.users')).toMatchObject({ kind: 'copied', attempts: 2 });
    expect(states.get('user_db.roles')).toMatchObject({ kind: 'copied', attempts: 1 });
  }, 180_000);
});
