import type { Config } from '../config/config.js';
import { emitFence, waitForFence } from '../fence.js';
import { formatLsn, type Lsn } from '../lsn.js';
import type { PgcarveMetrics } from '../metrics/metrics.js';
import type { SourcePoller } from '../metrics/source-poller.js';
import type { ServiceName } from '../router/service.js';
import type { Sidecar } from '../sidecar.js';
import type { ContinuousVerifier } from '../verify/continuous-verifier.js';
import type { ApiDeps, SyncOutcome } from './api-routes.js';
import { buildStatus, safeMessage } from './status-view.js';
import { readTargetState, type TargetState } from './target-state.js';

export interface SidecarApiParts {
  readonly config: Config;
  readonly sidecar: Sidecar;
  readonly metrics: PgcarveMetrics;
  readonly poller: SourcePoller;
  readonly verifier?: ContinuousVerifier;
}

/** The HTTP API of a running sidecar: its state, metrics and the legacy and service databases. */
export function sidecarApi(parts: SidecarApiParts): ApiDeps {
  const { config, sidecar, metrics, poller } = parts;
  return {
    metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
    status: async () => {
      const snapshot = sidecar.snapshot();
      const targets = new Map<ServiceName, TargetState | Error>();
      await Promise.all(
        snapshot.services.map(async ({ service }) => {
          targets.set(service, await readTargetState(config.serviceUrls[service], config.slot).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
        }),
      );
      return buildStatus({
        slot: config.slot,
        publication: config.publication,
        snapshot,
        ready: sidecar.ready(),
        ...(poller.latest ? { slotHealth: poller.latest } : {}),
        targets,
        ...(parts.verifier?.last ? { drift: parts.verifier.last } : {}),
        excludedTables: snapshot.excludedTables,
      });
    },
    fence: () => emitFence(config.legacyUrl),
    sync: (fence, timeoutMs, signal) => syncWithSidecar(parts, fence, timeoutMs, signal),
  };
}

/**
 * Waits on the checkpoints in the service databases (as `wait-sync` does), and gives up early when
 * a writer is stopped: its checkpoint will not move until an operator fixes it and restarts.
 */
async function syncWithSidecar({ config, sidecar }: SidecarApiParts, fence: Lsn, timeoutMs: number, signal: AbortSignal): Promise<SyncOutcome> {
  const stop = new AbortController();
  const abort = (): void => stop.abort();
  signal.addEventListener('abort', abort, { once: true });
  const stoppedNow = (): boolean => sidecar.snapshot().services.some((s) => s.state.kind === 'stopped');
  const watch = setInterval(() => {
    if (stoppedNow()) stop.abort();
  }, 200);
  try {
    const result = await waitForFence(config.serviceUrls, config.slot, fence, stoppedNow() ? 0 : timeoutMs, { signal: stop.signal });
    const states = new Map(sidecar.snapshot().services.map((s) => [s.service, s.state]));
    return {
      reached: result.reached,
      services: result.services.map((s) => {
        const state = states.get(s.service);
        const behind = s.checkpoint === undefined || s.checkpoint < fence;
        const reason = state?.kind === 'stopped' ? `writer stopped (${state.error.kind}): ${safeMessage(state.error.message)}` : s.error ? safeMessage(s.error) : null;
        return {
          service: s.service,
          checkpointLsn: s.checkpoint === undefined ? null : formatLsn(s.checkpoint),
          behindBytes: s.behindBytes ?? null,
          writerState: state?.kind ?? 'unknown',
          reason: behind ? reason : null,
        };
      }),
    };
  } finally {
    clearInterval(watch);
    signal.removeEventListener('abort', abort);
  }
}
