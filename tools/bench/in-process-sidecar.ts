import { LEGACY_RULES } from '../../mappings/index.js';
import { Backfill } from '../../src/backfill/backfill.js';
import type { Config } from '../../src/config/config.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { silentLogger } from '../../src/log.js';
import type { Lsn } from '../../src/lsn.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { sidecarParts } from '../../src/runtime.js';
import { Sidecar } from '../../src/sidecar.js';

/** A pgcarve sidecar in this process, as `pgcarve run` wires its engine (without HTTP and metrics). */
export interface RunningSidecar {
  /** Resolves when it streams (after any backfill). */
  readonly streaming: Promise<void>;
  readonly stop: () => Promise<void>;
}

export function startSidecar(config: Config): RunningSidecar {
  let onStreaming: () => void = () => undefined;
  const streamingStarted = new Promise<void>((resolve) => (onStreaming = resolve));
  const backfill = new Backfill({ config, log: silentLogger });
  const sidecar = new Sidecar({ config, parts: sidecarParts(config, new RoutingTable(LEGACY_RULES), silentLogger), log: silentLogger, backfill, onPhase: (p) => p === 'streaming' && onStreaming() });
  const stopper = new AbortController();
  const running = sidecar.run(stopper.signal);
  running.catch(() => undefined);
  const streaming = Promise.race([streamingStarted, running.then(() => Promise.reject(new Error('the sidecar stopped before it streamed')))]);
  streaming.catch(() => undefined);
  return {
    streaming,
    stop: async () => {
      stopper.abort();
      await running;
    },
  };
}

/** Fences the legacy WAL and waits until every service has applied up to it. */
export async function fenceAndWait(config: Config, timeoutMs: number): Promise<boolean> {
  const fence = await emitFence(config.legacyUrl);
  return (await waitForFence(config.serviceUrls, config.slot, fence, timeoutMs, { intervalMs: 10 })).reached;
}

/**
 * Starts pgcarve on an existing slot with a backlog behind a fence already written, and returns
 * the milliseconds from start until every service has applied up to the fence.
 */
export async function timeDrain(config: Config, fenceLsn: Lsn, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const sidecar = startSidecar(config);
  try {
    const result = await waitForFence(config.serviceUrls, config.slot, fenceLsn, timeoutMs, { intervalMs: 10 });
    if (!result.reached) throw new Error(`pgcarve did not drain the backlog within ${timeoutMs} ms`);
    return performance.now() - started;
  } finally {
    await sidecar.stop();
  }
}

/** Milliseconds of a full backfill into fresh targets: from start until the sidecar streams. */
export async function timeBackfill(config: Config): Promise<number> {
  const started = performance.now();
  const sidecar = startSidecar(config);
  try {
    await sidecar.streaming;
    return performance.now() - started;
  } finally {
    await sidecar.stop();
  }
}
