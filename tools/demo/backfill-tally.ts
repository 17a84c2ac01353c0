import type { BackfillObserver } from '../../src/backfill/backfill-observer.js';
import type { BackfillStateKind } from '../../src/state/backfill-state.js';
import type { ServiceName } from '../../mappings/services.js';
import type { BackfillFrame } from './live-view.js';

/** Backfill progress summed per service, for the demo's view: tables done, rows done of estimated. */
export class BackfillTally implements BackfillObserver {
  private readonly tables = new Map<string, { service: ServiceName; state: BackfillStateKind; done: number; estimated: number }>();
  private finishedValue = false;
  private copiedRows = 0;

  stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void {
    const entry = this.entry(service, table);
    if (state === 'copying' || state === 'repairing') entry.done = 0;
    entry.state = state;
  }

  rowsCopied(_service: ServiceName, _table: string, rows: number): void {
    this.copiedRows += rows;
  }

  progress(service: ServiceName, table: string, rowsDone: number, rowsEstimated: number): void {
    const entry = this.entry(service, table);
    entry.done = rowsDone;
    entry.estimated = Math.max(rowsEstimated, 0);
  }

  finished(): void {
    this.finishedValue = true;
  }

  get isFinished(): boolean {
    return this.finishedValue;
  }

  /** Legacy rows written to service databases so far (a row mapped into two services counts twice). */
  get totalRowsCopied(): number {
    return this.copiedRows;
  }

  frames(): BackfillFrame[] {
    const byService = new Map<ServiceName, { tables: number; tablesDone: number; rowsDone: number; rowsEstimated: number }>();
    for (const entry of this.tables.values()) {
      const s = byService.get(entry.service) ?? { tables: 0, tablesDone: 0, rowsDone: 0, rowsEstimated: 0 };
      s.tables += 1;
      if (entry.state === 'copied') s.tablesDone += 1;
      s.rowsDone += entry.done;
      s.rowsEstimated += Math.max(entry.estimated, entry.done);
      byService.set(entry.service, s);
    }
    return [...byService].map(([service, s]) => ({ service, ...s }));
  }

  private entry(service: ServiceName, table: string): { service: ServiceName; state: BackfillStateKind; done: number; estimated: number } {
    const key = `${service}\u0000${table}`;
    let entry = this.tables.get(key);
    if (!entry) this.tables.set(key, (entry = { service, state: 'pending', done: 0, estimated: 0 }));
    return entry;
  }
}
