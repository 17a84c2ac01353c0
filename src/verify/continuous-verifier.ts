import { classify } from '../errors/classify.js';
import type { Logger } from '../log.js';
import type { ServiceName } from '../../mappings/services.js';
import type { TargetWriter } from '../targets/target-writer.js';
import { serviceDriftRows, type DriftReport } from './drift-report.js';
import { verifyDrift, type VerifyOptions } from './drift-verifier.js';
import { pause } from '../pause.js';

export interface ContinuousVerifierOptions extends Omit<VerifyOptions, 'signal' | 'services'> {
  /** Pause between the end of one pass and the start of the next. */
  readonly intervalSeconds: number;
  /** Whether a pass may start now (the sidecar streams: not while it backfills or reconnects). */
  readonly canRun: () => boolean;
  readonly log: Logger;
}

/** Gentle defaults for the check inside the sidecar: small chunks, a pause between them. */
export const CONTINUOUS_DEFAULTS = { chunkSize: 200, pauseMs: 50 } as const;

/**
 * Drift verification inside the running sidecar: a pause of `intervalSeconds`, then one full pass
 * over every service, again and again, while the sidecar streams. Results go to the observer
 * (metrics) as tables complete and the last report is kept for /status. Passes never overlap.
 */
export class ContinuousVerifier {
  private lastValue: DriftReport | undefined;
  private readonly listeners = new Set<(report: DriftReport) => void>();

  constructor(private readonly options: ContinuousVerifierOptions) {}

  /** The last complete pass. */
  get last(): DriftReport | undefined {
    return this.lastValue;
  }

  /** Resolves with the report of the next pass that completes. */
  nextPass(): Promise<DriftReport> {
    return new Promise((resolve) => {
      const listener = (report: DriftReport): void => {
        this.listeners.delete(listener);
        resolve(report);
      };
      this.listeners.add(listener);
    });
  }

  /** Runs passes until `signal` aborts. Does nothing when the interval is 0 (turned off). */
  async run(signal: AbortSignal): Promise<void> {
    const { intervalSeconds, canRun, log, ...verify } = this.options;
    if (intervalSeconds <= 0) return;
    // The first pass waits one interval too: at start the sidecar has catching up to do.
    await pause(intervalSeconds * 1000, signal);
    while (!signal.aborted) {
      if (!canRun()) {
        await pause(500, signal);
        continue;
      }
      try {
        const report = await verifyDrift({ chunkSize: CONTINUOUS_DEFAULTS.chunkSize, pauseMs: CONTINUOUS_DEFAULTS.pauseMs, ...verify, signal });
        if (signal.aborted) break;
        this.lastValue = report;
        for (const service of report.services) {
          const rows = serviceDriftRows(service);
          if (rows > 0) log.warn(`drift in ${service.service}: ${rows} row(s) differ from the legacy database; run \`pgcarve verify --service ${service.service}\` for the tables and sample keys`, { service: service.service, rows });
          else if (service.outcome.kind === 'failed' || service.outcome.kind === 'behind') log.warn(`drift check of ${service.service} incomplete: ${service.outcome.reason}`, { service: service.service });
        }
        for (const listener of [...this.listeners]) listener(report);
      } catch (error) {
        log.warn(`drift check failed: ${classify(error, 'checking drift').message}`);
      }
      await pause(intervalSeconds * 1000, signal);
    }
  }
}

/** What a check inside the sidecar reads from its writers: applied positions and why one stopped. */
export function writerViews(writers: readonly TargetWriter[]): Pick<VerifyOptions, 'appliedPosition' | 'stopped'> {
  const writer = (service: ServiceName): TargetWriter | undefined => writers.find((w) => w.service === service);
  return {
    appliedPosition: (service) => writer(service)?.position(),
    stopped: (service) => {
      const state = writer(service)?.state;
      return state?.kind === 'stopped' ? state.error.message : undefined;
    },
  };
}
