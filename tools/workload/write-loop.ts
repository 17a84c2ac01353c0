import type pg from 'pg';
import { connect } from '../../src/pg/with-client.js';
import { pause } from '../../src/pause.js';
import { Prng } from './prng.js';

export interface WriteLoopOptions {
  /** Connections, each running transactions back to back. Default 1. */
  readonly connections?: number;
  /** Seeds each connection's generator (connection i: seed + i). Default 1. */
  readonly seed?: number;
  /** Pause after each commit, per connection; none when undefined. */
  readonly pauseMs?: number;
}

export interface WriteLoop {
  /** Transactions committed so far, over all connections. */
  readonly committed: () => number;
  /** Resolves once `count` more transactions have committed (from now); rejects if a connection failed. */
  readonly after: (count: number) => Promise<void>;
  /** Stops after the transactions in flight; resolves with the number committed, rejects with a connection's failure. */
  readonly stop: () => Promise<number>;
}

/**
 * The loop under the scripted test workloads (test/backfill, test/observability): `transaction`
 * runs between BEGIN and COMMIT on each of `connections` connections to the legacy database, with
 * that connection's seeded generator, until stop(). A failed transaction ends its connection's
 * loop; the failure is given to after() and stop(), never left unhandled. The demo's paced,
 * retrying workload of the application's writes is live-workload.ts.
 */
export function startWriteLoop(url: string, transaction: (client: pg.Client, rng: Prng) => Promise<void>, options: WriteLoopOptions = {}): WriteLoop {
  let committed = 0;
  let stopping = false;
  const waiters: { at: number; resolve: () => void }[] = [];
  const loop = async (index: number): Promise<void> => {
    const rng = new Prng((options.seed ?? 1) + index);
    const client = await connect(url, { doing: 'the test write loop', connectTimeoutMs: 0 });
    try {
      while (!stopping) {
        await client.query('BEGIN');
        await transaction(client, rng);
        await client.query('COMMIT');
        committed += 1;
        for (const w of waiters.filter((w) => committed >= w.at)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        if (options.pauseMs !== undefined) await pause(options.pauseMs);
      }
    } finally {
      await client.end();
    }
  };
  const run = Promise.all(Array.from({ length: options.connections ?? 1 }, (_, i) => loop(i)));
  run.catch(() => undefined);
  return {
    committed: () => committed,
    after: (count) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ at: committed + count, resolve });
        run.catch(reject);
      }),
    stop: async () => {
      stopping = true;
      await run;
      return committed;
    },
  };
}
