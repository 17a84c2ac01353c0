import type { ServiceName } from '../../mappings/services.js';
import type { BackfillStateKind } from '../state/backfill-state.js';

/** One table's progress in one service, as displays show it. */
export interface TableProgress {
  readonly service: ServiceName;
  readonly table: string;
  readonly state: BackfillStateKind;
  readonly rowsDone: number;
  readonly rowsEstimated: number;
  /** Rows per second over the last few seconds (0 before two samples). */
  readonly rate: number;
  /** Seconds left at that rate; undefined when unknown (no rate yet, or done). */
  readonly etaSeconds: number | undefined;
}

interface Entry {
  service: ServiceName;
  table: string;
  state: BackfillStateKind;
  rowsDone: number;
  rowsEstimated: number;
  samples: { readonly at: number; readonly rows: number }[];
}

const WINDOW_MS = 10_000;

/**
 * Rows done, estimate, rate and ETA per (service, table), from BackfillObserver events. Shared by
 * the terminal display and the progress log so that both say the same thing. The ratio is capped
 * below 1 until the table is copied (the estimate may be low).
 */
export class ProgressMeter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void {
    const entry = this.entry(service, table);
    if (state === 'copying' || state === 'repairing') {
      entry.rowsDone = 0;
      entry.samples = [{ at: this.now(), rows: 0 }];
    }
    entry.state = state;
  }

  progress(service: ServiceName, table: string, rowsDone: number, rowsEstimated: number): void {
    const entry = this.entry(service, table);
    entry.rowsDone = rowsDone;
    entry.rowsEstimated = rowsEstimated;
    const at = this.now();
    entry.samples.push({ at, rows: rowsDone });
    while (entry.samples.length > 2 && (entry.samples[0] as { at: number }).at < at - WINDOW_MS) entry.samples.shift();
  }

  /** Every table seen, in the order first seen. */
  tables(): readonly TableProgress[] {
    return [...this.entries.values()].map((e) => {
      const first = e.samples[0];
      const last = e.samples[e.samples.length - 1];
      const seconds = first && last ? (last.at - first.at) / 1000 : 0;
      const rate = first && last && seconds > 0 ? (last.rows - first.rows) / seconds : 0;
      const done = e.state === 'copied';
      const left = Math.max(0, e.rowsEstimated - e.rowsDone);
      return {
        service: e.service,
        table: e.table,
        state: e.state,
        rowsDone: e.rowsDone,
        rowsEstimated: e.rowsEstimated,
        rate,
        etaSeconds: done || rate <= 0 ? undefined : left / rate,
      };
    });
  }

  static ratio(p: TableProgress): number {
    if (p.state === 'copied') return 1;
    if (p.rowsEstimated <= 0) return 0;
    return Math.min(0.99, p.rowsDone / p.rowsEstimated);
  }

  private entry(service: ServiceName, table: string): Entry {
    const id = `${service}\u0000${table}`;
    let entry = this.entries.get(id);
    if (!entry) this.entries.set(id, (entry = { service, table, state: 'pending', rowsDone: 0, rowsEstimated: 0, samples: [] }));
    return entry;
  }
}
