import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillState } from '../../src/state/backfill-state.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { formatLsn } from '../../src/lsn.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query } from '../streaming/sidecar-fixture.js';
import { allStates, StatePoller } from './backfill-fixture.js';
import { startWorkload, type Workload } from './legacy-workload.js';
import { spawnPgcarve, type PgcarveProcess } from '../harness/pgcarve-process.js';
import { seedLegacy } from './seed-legacy.js';

/**
 * `pgcarve run` (the built CLI, as a child process) is killed with SIGKILL three times during its
 * backfill, each time while a different table is half copied, then stopped once with SIGTERM, with
 * a workload writing all along.
 * Each restart must redo only the unfinished tables (on a fresh snapshot), leave the finished ones
 * alone, and the end result must be exact.
 */
let dbs: TestDatabases;
let child: PgcarveProcess | undefined;
let workload: Workload | undefined;
let poller: StatePoller;

beforeAll(async () => {
  dbs = await createTestDatabases();
  await seedLegacy(dbs.legacyUrl, 12_000);
  poller = new StatePoller(dbs);
});
afterAll(async () => {
  await workload?.stop().catch(() => undefined);
  await child?.kill9();
  await poller?.close();
  await dbs?.drop();
});

type States = Map<string, BackfillState>;

/**
 * A table half copied that is none of `except`, once at least `copied` tables are done, with more
 * than `toGo` rows still to copy (more than the batches that can finish before the stop lands),
 * and not the state a killed process left (`leftBy`: the snapshot it was copying from).
 */
async function halfCopied(except: ReadonlySet<string>, copied: number, toGo = 1_000, leftBy: ReadonlyMap<string, bigint> = new Map()): Promise<string> {
  return await waitFor(
    `a table half copied (other than ${[...except].join(', ') || 'none'}) after ${copied} done`,
    async () => {
      if (child && (await Promise.race([child.exited, Promise.resolve('alive')])) !== 'alive') throw new Error(`pgcarve exited early:\n${child.output()}`);
      const states = await poller.read();
      const done = [...states.values()].filter((s) => s.kind === 'copied').length;
      if (done < copied) return undefined;
      for (const [key, s] of states) {
        // Some rows in, and more than a batch still to go: the kill lands mid-table.
        if (s.kind === 'copying' && !except.has(key) && s.snapshotLsn !== leftBy.get(key) && s.rowsCopied > 0 && s.rowsCopied <= (s.rowsEstimated ?? 0) - toGo) return key;
      }
      return undefined;
    },
    90_000,
    5,
  );
}

describe('kill -9 during the backfill', () => {
  it('redoes only unfinished tables, several times, and converges to the exact result', async () => {
    const env = { ...dbs.env, PGCARVE_BACKFILL_CONCURRENCY: '1' };
    workload = startWorkload(dbs.legacyUrl, 11);
    await workload.after(10);
    const killedAt = new Set<string>();
    const killedSnapshot = new Map<string, bigint>();
    const finishedBeforeKill: States[] = [];
    for (let round = 0; round < 3; round += 1) {
      child = spawnPgcarve(['run'], env);
      const table = await halfCopied(killedAt, round * 2);
      await child.kill9();
      const states = await allStates(dbs);
      const killed = states.get(table);
      expect(killed?.kind, `${table} was killed mid-copy`).toBe('copying');
      if (killed?.kind === 'copying') killedSnapshot.set(table, killed.snapshotLsn);
      killedAt.add(table);
      finishedBeforeKill.push(new Map([...states].filter(([, s]) => s.kind === 'copied')));
    }
    expect(killedAt.size).toBe(3);

    // SIGTERM stops the backfill between batches, exits 0, and leaves the table to be resumed.
    child = spawnPgcarve(['run'], env);
    // SIGTERM lets the batch in flight commit, and the next may have started: leave more than two
    // batches to go (batches are at most 2,000 rows, here about 1,200), so that the table is still
    // unfinished when it stops. Only the largest table has that many (users, 4,000 rows, copied
    // again from scratch after its kill above: by this process, not the state a killed one left).
    const stoppedAt = await halfCopied(new Set(), 0, 2_500, killedSnapshot);
    child.child.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);
    expect((await allStates(dbs)).get(stoppedAt)?.kind).toBe('copying');
    killedAt.add(stoppedAt);
    const stoppedState = (await allStates(dbs)).get(stoppedAt);
    if (stoppedState?.kind === 'copying') killedSnapshot.set(stoppedAt, stoppedState.snapshotLsn);

    child = spawnPgcarve(['run'], env);
    await waitFor('every table copied', async () => [...(await allStates(dbs)).values()].every((s) => s.kind === 'copied'), 90_000, 50);
    await workload.after(30);
    await workload.stop();
    const fence = await emitFence(dbs.legacyUrl);
    const synced = await waitForFence(dbs.serviceUrls, dbs.slot, fence, 90_000);
    expect(synced.reached, child.output()).toBe(true);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);

    const end = await allStates(dbs);
    // Finished tables were never copied again: same attempt, same end time, same snapshot.
    for (const finished of finishedBeforeKill) {
      for (const [key, before] of finished) {
        const after = end.get(key);
        expect(after?.attempts, key).toBe(before.attempts);
        expect(after?.kind === 'copied' && after.finishedAt?.getTime(), key).toBe(before.kind === 'copied' && before.finishedAt?.getTime());
      }
    }
    // Tables killed mid-copy were redone from scratch on a newer snapshot.
    for (const key of killedAt) {
      const state = end.get(key);
      const was = killedSnapshot.get(key) as bigint;
      expect(state?.attempts, key).toBeGreaterThanOrEqual(2);
      expect(state?.kind === 'copied' && state.snapshotLsn !== undefined && state.snapshotLsn > was, `${key} copied at ${state?.kind === 'copied' && state.snapshotLsn ? formatLsn(state.snapshotLsn) : '?'}`).toBe(true);
    }
    // The temporary slots of the fresh snapshots went with their processes.
    await waitFor('no temporary backfill slot left', async () => {
      const rows = await query<{ n: number }>(dbs.legacyUrl, `SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE 'pgcarve_backfill_%'`);
      return rows[0]?.n === 0;
    });
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  }, 240_000); // about 50 s on an idle machine: five process starts and four partial copies
});
