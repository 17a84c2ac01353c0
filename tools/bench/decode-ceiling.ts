import { spawn } from 'node:child_process';
import { formatLsn, type Lsn } from '../../src/lsn.js';
import { ReplicationStream } from '../../src/source/replication-stream.js';
import { withClient } from './bench-cluster.js';

export const DECODE_SLOTS = { pgcarve: 'bench_decode_pgcarve', recvlogical: 'bench_decode_recvlogical' } as const;

/** Fresh slots for the decode comparison, created before a backlog is written. */
export async function createDecodeSlots(legacyUrl: string): Promise<void> {
  await withClient(legacyUrl, async (c) => {
    for (const slot of Object.values(DECODE_SLOTS)) {
      await c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      await c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    }
  });
}

export async function dropDecodeSlots(legacyUrl: string): Promise<void> {
  await withClient(legacyUrl, async (c) => {
    for (const slot of Object.values(DECODE_SLOTS)) await c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  });
}

/**
 * pgcarve's decode path alone (replication connection, pgoutput decoding into typed events, no
 * writes) over a slot's backlog up to `endLsn`. Returns the milliseconds and the row changes seen.
 */
export async function timePgcarveDecode(legacyUrl: string, publication: string, endLsn: Lsn): Promise<{ readonly ms: number; readonly changes: number }> {
  const stream = new ReplicationStream({ connectionString: legacyUrl, slot: DECODE_SLOTS.pgcarve, publication });
  let changes = 0;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void stream.stop();
  };
  const started = performance.now();
  const timer = setTimeout(stop, 300_000);
  await stream.run(0n as Lsn, {
    onEvent: (event) => {
      if (event.kind === 'insert' || event.kind === 'update' || event.kind === 'delete') changes += 1;
      else if (event.kind === 'commit' && event.endLsn >= endLsn) stop();
    },
    onWalEnd: (walEnd, drained) => {
      if (drained && walEnd >= endLsn) stop();
    },
  });
  clearTimeout(timer);
  return { ms: performance.now() - started, changes };
}

/** `pg_recvlogical` over the same kind of slot and publication, writing the stream to /dev/null. */
export async function timeRecvlogical(pgRecvlogical: string, legacyUrl: string, publication: string, endLsn: Lsn): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      pgRecvlogical,
      ['-d', legacyUrl, '--slot', DECODE_SLOTS.recvlogical, '--start', '--no-loop', '-o', 'proto_version=1', '-o', `publication_names=${publication}`, '-o', 'messages=true', '-f', '/dev/null', `--endpos=${formatLsn(endLsn)}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_recvlogical exited with ${code}: ${stderr.trim()}`))));
  });
  return performance.now() - started;
}
