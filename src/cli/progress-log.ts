import { createLogger, type Logger, type LogLevel } from '../log.js';
import type { ServiceName } from '../../mappings/services.js';
import type { BackfillObserver } from '../backfill/backfill-observer.js';
import type { BackfillStateKind } from '../state/backfill-state.js';
import { ProgressMeter } from './progress-meter.js';
import { TerminalProgress, type TerminalStream } from './progress-terminal.js';

/**
 * Backfill progress for logs (no terminal): one structured line per table in progress every
 * `intervalMs` (rows done, estimate, ratio, rate, ETA), and a line when a table starts and ends.
 */
export class LogProgress implements BackfillObserver {
  private readonly meter: ProgressMeter;
  private lastAt: number;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.meter = new ProgressMeter(now);
    this.lastAt = now();
  }

  stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void {
    this.meter.stateChanged(service, table, state);
    const p = this.meter.tables().find((t) => t.service === service && t.table === table);
    if (state === 'copying' || state === 'repairing') this.log.info(`backfill: ${table} → ${service} ${state}`, { service, table, state, rows_estimated: p?.rowsEstimated ?? null });
    if (state === 'copied') this.log.info(`backfill: ${table} → ${service} done`, { service, table, state, rows_done: p?.rowsDone ?? 0 });
  }

  rowsCopied(): void {}

  progress(service: ServiceName, table: string, rowsDone: number, rowsEstimated: number): void {
    this.meter.progress(service, table, rowsDone, rowsEstimated);
    if (this.now() - this.lastAt >= this.intervalMs) this.report();
  }

  finished(): void {}

  private report(): void {
    this.lastAt = this.now();
    for (const p of this.meter.tables()) {
      if (p.state !== 'copying' && p.state !== 'repairing') continue;
      this.log.info('backfill progress', {
        service: p.service,
        table: p.table,
        rows_done: p.rowsDone,
        rows_estimated: p.rowsEstimated,
        ratio: Number(ProgressMeter.ratio(p).toFixed(4)),
        rows_per_second: Math.round(p.rate),
        eta_seconds: p.etaSeconds === undefined ? null : Math.ceil(p.etaSeconds),
      });
    }
  }
}

/**
 * The logger and the progress observer a command should use on `stream` (stderr): on a terminal,
 * bars redrawn in place with the log lines printed above them; otherwise (CI, containers, a pipe)
 * never a bar, only the structured progress lines in the log.
 */
export function progressOutput(stream: TerminalStream & { readonly isTTY?: boolean }, level: LogLevel): { readonly log: Logger; readonly observer: BackfillObserver } {
  if (stream.isTTY === true) {
    const display = new TerminalProgress(stream);
    return { log: createLogger(level, (line) => display.writeAbove(line)), observer: display };
  }
  const log = createLogger(level, (line) => void stream.write(line));
  return { log, observer: new LogProgress(log) };
}
