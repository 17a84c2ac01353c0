import type { ServiceName } from '../../mappings/services.js';
import type { BackfillStateKind } from '../state/backfill-state.js';

/**
 * What a backfill (the initial copy in `run`, or `pgcarve backfill`) reports as it goes, per
 * service and legacy table. The progress display, the progress log and the metrics implement it;
 * none of them is a dependency of the copier. Calls are synchronous and must not throw.
 */
export interface BackfillObserver {
  /** The table's persisted state changed (see backfill-state.ts). */
  stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void;
  /** `rows` more legacy rows of `table` were written (or, for a repair, sent) to `service`: for counters. */
  rowsCopied(service: ServiceName, table: string, rows: number): void;
  /**
   * Where the current attempt stands: for gauges and displays. `rowsDone` never decreases within an
   * attempt; `rowsEstimated` is pg_class.reltuples (or a count) and may be below `rowsDone`.
   */
  progress(service: ServiceName, table: string, rowsDone: number, rowsEstimated: number): void;
  /** Every table of this backfill is done (or it failed): a display may stop redrawing. */
  finished(): void;
}

export const nullBackfillObserver: BackfillObserver = {
  stateChanged: () => undefined,
  rowsCopied: () => undefined,
  progress: () => undefined,
  finished: () => undefined,
};

/** One observer that forwards to several (display + metrics). */
export function combineObservers(...observers: readonly BackfillObserver[]): BackfillObserver {
  return {
    stateChanged: (s, t, k) => observers.forEach((o) => o.stateChanged(s, t, k)),
    rowsCopied: (s, t, n) => observers.forEach((o) => o.rowsCopied(s, t, n)),
    progress: (s, t, d, e) => observers.forEach((o) => o.progress(s, t, d, e)),
    finished: () => observers.forEach((o) => o.finished()),
  };
}
