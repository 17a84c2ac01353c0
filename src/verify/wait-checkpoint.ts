import type pg from 'pg';
import { formatLsn, type Lsn } from '../lsn.js';
import { readCheckpoint } from '../state/checkpoint.js';
import { pause } from '../pause.js';

/** The service did not apply up to a position in time: what it has not applied cannot be verified. */
export class ServiceBehind extends Error {
  override readonly name = 'ServiceBehind';
}

/**
 * Waits until the target's checkpoint is at or past `lsn`. Throws ServiceBehind after `timeoutMs`,
 * or at once when `stopped()` says the writer is stopped (it would never get there).
 */
export async function waitForCheckpoint(
  client: pg.ClientBase,
  slot: string,
  lsn: Lsn,
  options: {
    readonly timeoutMs: number;
    /** A position known applied without reading the checkpoint (the sidecar's in memory). */
    readonly applied?: () => Lsn | undefined;
    readonly stopped?: () => string | undefined;
    readonly signal?: AbortSignal;
  },
): Promise<Lsn> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const stopped = options.stopped?.();
    if (stopped !== undefined) throw new ServiceBehind(`its writer is stopped: ${stopped}`);
    const applied = options.applied?.();
    if (applied !== undefined && applied >= lsn) return applied;
    const checkpoint = await readCheckpoint(client, slot);
    if (checkpoint >= lsn) return checkpoint;
    if (Date.now() >= deadline || options.signal?.aborted) {
      throw new ServiceBehind(`its checkpoint ${formatLsn(checkpoint)} did not reach ${formatLsn(lsn)}, where the legacy rows were read, within ${Math.round(options.timeoutMs / 1000)} s`);
    }
    await pause(options.applied ? 20 : 100, options.signal);
  }
}
