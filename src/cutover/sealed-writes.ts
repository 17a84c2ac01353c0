import type { Logger } from '../log.js';
import { formatLsn, type Lsn } from '../lsn.js';
import type { SealedChange } from '../router/seals.js';
import type { ServiceName } from '../router/service.js';

/** Hears of every legacy change the cutover seal of a service held back (the metrics). */
export interface SealObserver {
  legacyWriteAfterCutover(service: ServiceName, table: string, finalLsn: Lsn): void;
}

/**
 * What the router calls for each held change: the observer counts it, and one warning per service,
 * table and legacy transaction names the table and the commit LSN (never a row value). A
 * transaction replayed after a reconnect (below the last one seen) is not counted again.
 */
export function sealedWriteReporter(log: Logger, observer: SealObserver | undefined): SealedChange {
  const last = new Map<string, Lsn>();
  return (service, table, finalLsn) => {
    const key = `${service}\u0000${table}`;
    const previous = last.get(key);
    if (previous !== undefined && finalLsn < previous) return;
    if (previous !== finalLsn) {
      log.warn(`a legacy write to ${table} committed at ${formatLsn(finalLsn)}, after ${service} was cut over; it is not applied to ${service} (find and stop the writer, see the runbook PgcarveLegacyWriteAfterCutover)`, {
        service,
        table,
        lsn: formatLsn(finalLsn),
      });
    }
    last.set(key, finalLsn);
    observer?.legacyWriteAfterCutover(service, table, finalLsn);
  };
}
