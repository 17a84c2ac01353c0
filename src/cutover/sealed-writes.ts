import type { Logger } from '../log.js';
import { formatLsn, type Lsn } from '../lsn.js';
import type { SealedChange } from '../router/seals.js';
import type { ServiceName } from '../../mappings/services.js';

/** Hears of every legacy change the cutover seal of a service held back (the metrics). */
export interface SealObserver {
  legacyWriteAfterCutover(service: ServiceName, table: string, finalLsn: Lsn): void;
}

/** At most one warning per service and table in this long; the ones in between are summed up. */
const LOG_INTERVAL_MS = 10_000;

/**
 * What the router calls for each held change: the observer counts it, and a warning names the
 * table and the commit LSN (never a row value): at once for the first, then at most every 10 s per
 * service and table with the count since. A transaction replayed after a reconnect (below the last
 * one seen) is not counted again.
 */
export function sealedWriteReporter(log: Logger, observer: SealObserver | undefined, now: () => number = Date.now): SealedChange {
  const seen = new Map<string, { last: Lsn; loggedAt: number; unlogged: number }>();
  return (service, table, finalLsn) => {
    const key = `${service}\u0000${table}`;
    const entry = seen.get(key);
    if (entry && finalLsn < entry.last) return;
    observer?.legacyWriteAfterCutover(service, table, finalLsn);
    const newTransaction = !entry || finalLsn !== entry.last;
    const state = entry ?? { last: finalLsn, loggedAt: Number.NEGATIVE_INFINITY, unlogged: 0 };
    state.last = finalLsn;
    state.unlogged += 1;
    seen.set(key, state);
    if (!newTransaction || now() - state.loggedAt < LOG_INTERVAL_MS) return;
    log.warn(
      `${state.unlogged} legacy change(s) to ${table}, the last committed at ${formatLsn(finalLsn)}, after ${service} was cut over: not applied to ${service}; find and stop the writer (runbook PgcarveLegacyWriteAfterCutover)`,
      { service, table, lsn: formatLsn(finalLsn), changes: state.unlogged },
    );
    state.loggedAt = now();
    state.unlogged = 0;
  };
}
