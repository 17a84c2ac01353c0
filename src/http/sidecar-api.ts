import type { Config } from '../config/config.js';
import { emitFence, waitForFence, type FenceWaitResult } from '../fence.js';
import { formatLsn, type Lsn } from '../lsn.js';
import type { PgcarveMetrics } from '../metrics/metrics.js';
import type { ReverseSupervisor } from '../reverse/reverse-supervisor.js';
import type { SourcePoller } from '../metrics/source-poller.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
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
  readonly reverse?: ReverseSupervisor;
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
          targets.set(service, await readTargetState(config.serviceUrls[service], config.slot, service).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
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
        legacyWritesAfterCutover: (service) => metrics.legacyWritesAfterCutover(service),
        ...(parts.reverse ? { reverse: parts.reverse.snapshot() } : {}),
        excludedTables: snapshot.excludedTables,
      });
    },
    fence: () => emitFence(config.legacyUrl),
    token: config.httpToken,
    sync: (fence, timeoutMs, signal) => syncWithSidecar(parts, fence, timeoutMs, signal),
  };
}

/**
 * Waits on the checkpoints in the service databases (as `wait-sync` does), but not for a service
 * whose writer is stopped: its checkpoint will not move until an operator fixes it and restarts.
 * The others are still waited for, so that the answer says exactly who is behind.
 */
async function syncWithSidecar({ config, sidecar }: SidecarApiParts, fence: Lsn, timeoutMs: number, signal: AbortSignal): Promise<SyncOutcome> {
  const deadline = Date.now() + timeoutMs;
  const stoppedServices = (): Set<ServiceName> => new Set(sidecar.snapshot().services.filter((s) => s.state.kind === 'stopped').map((s) => s.service));
  for (;;) {
    const stopped = stoppedServices();
    const live = SERVICES.filter((s) => !stopped.has(s));
    const round = new AbortController();
    const abort = (): void => round.abort();
    signal.addEventListener('abort', abort, { once: true });
    const watch = setInterval(() => {
      if (stoppedServices().size > stopped.size) round.abort();
    }, 200);
    let results: FenceWaitResult['services'];
    try {
      const waited = await waitForFence(config.serviceUrls, config.slot, fence, Math.max(0, deadline - Date.now()), { services: live, signal: round.signal });
      // A writer stopped while waiting: wait again for the ones still running.
      if (round.signal.aborted && !signal.aborted && Date.now() < deadline) continue;
      const once = stopped.size > 0 ? await waitForFence(config.serviceUrls, config.slot, fence, 0, { services: [...stopped] }) : undefined;
      results = [...waited.services, ...(once?.services ?? [])];
    } finally {
      clearInterval(watch);
      signal.removeEventListener('abort', abort);
    }
    const states = new Map(sidecar.snapshot().services.map((s) => [s.service, s.state]));
    const services = SERVICES.map((service) => {
      const s = results.find((r) => r.service === service);
      const state = states.get(service);
      const behind = s?.checkpoint === undefined || s.checkpoint < fence;
      const reason = state?.kind === 'stopped' ? `writer stopped (${state.error.kind}): ${safeMessage(state.error.message)}` : s?.error ? safeMessage(s.error) : null;
      return {
        service,
        checkpointLsn: s?.checkpoint === undefined ? null : formatLsn(s.checkpoint),
        behindBytes: s?.behindBytes ?? null,
        writerState: state?.kind ?? 'unknown',
        reason: behind ? reason : null,
      };
    });
    return { reached: services.every((s) => s.behindBytes === 0), services };
  }
}
