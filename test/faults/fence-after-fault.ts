import { emitFence, waitForFence, type FenceWaitResult } from '../../src/fence.js';
import type { Sidecar } from '../../src/sidecar.js';
import type { TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';

export type FenceOutcome =
  | { readonly kind: 'reached'; readonly at: number }
  | { readonly kind: 'timed_out'; readonly result: FenceWaitResult }
  | { readonly kind: 'writer_stopped'; readonly service: string; readonly message: string };

/**
 * Writes a fence into the legacy database (directly, not through a proxy) and waits until every
 * service's checkpoint is past it: "everything committed before now is applied everywhere".
 * Gives up early when a writer stops (it would never get there).
 */
export async function fenceAfterFault(dbs: TestDatabases, sidecar: Sidecar, timeoutMs: number): Promise<FenceOutcome> {
  const fence = await waitFor('the legacy database to take a fence', () => emitFence(dbs.legacyUrl), Math.min(timeoutMs, 30_000), 100);
  const stopped = new AbortController();
  let stop: { service: string; message: string } | undefined;
  const watch = setInterval(() => {
    for (const { service, state } of sidecar.snapshot().services) {
      if (state.kind !== 'stopped' || stop) continue;
      stop = { service, message: state.error.message };
      stopped.abort();
    }
  }, 100);
  try {
    const result = await waitForFence(dbs.serviceUrls, dbs.slot, fence, timeoutMs, { intervalMs: 50, signal: stopped.signal });
    if (result.reached) return { kind: 'reached', at: Date.now() };
    if (stop) return { kind: 'writer_stopped', ...stop };
    return { kind: 'timed_out', result };
  } finally {
    clearInterval(watch);
  }
}

/** A fence result for a failure message (LSNs in hex). */
export function describeFence(outcome: FenceOutcome): string {
  switch (outcome.kind) {
    case 'reached':
      return 'reached';
    case 'writer_stopped':
      return `${outcome.service} writer stopped: ${outcome.message}`;
    case 'timed_out':
      return `not reached: ${outcome.result.services
        .filter((s) => (s.checkpoint ?? -1n) < outcome.result.fenceLsn)
        .map((s) => `${s.service} ${s.behindBytes ?? '?'} bytes behind${s.error ? ` (${s.error})` : ''}`)
        .join(', ')}`;
  }
}
