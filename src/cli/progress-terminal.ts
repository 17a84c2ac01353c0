import type { ServiceName } from '../../mappings/services.js';
import type { BackfillObserver } from '../backfill/backfill-observer.js';
import type { BackfillStateKind } from '../state/backfill-state.js';
import { ProgressMeter, type TableProgress } from './progress-meter.js';

/** The part of a terminal stream the display uses (process.stderr, or a fake in tests). */
export interface TerminalStream {
  write(text: string): unknown;
  readonly columns?: number | undefined;
}

const CSI = '\u001b[';

/**
 * A progress bar per table on a terminal, redrawn in place (at most every `intervalMs`): rows
 * done / estimated, rate and ETA. Log lines go through `writeAbove`, which lifts the bars, prints
 * the line and draws them again, so logs and bars never overwrite each other. Only for a TTY: the
 * caller checks `isTTY` (progressOutput), CI logs get progress-log.ts instead.
 */
export class TerminalProgress implements BackfillObserver {
  private readonly meter: ProgressMeter;
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(
    private readonly stream: TerminalStream,
    private readonly intervalMs = 100,
    now: () => number = Date.now,
  ) {
    this.meter = new ProgressMeter(now);
  }

  stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void {
    this.meter.stateChanged(service, table, state);
    this.active = true;
    this.schedule();
  }

  rowsCopied(): void {}

  progress(service: ServiceName, table: string, rowsDone: number, rowsEstimated: number): void {
    this.meter.progress(service, table, rowsDone, rowsEstimated);
    this.active = true;
    this.schedule();
  }

  finished(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.active) this.draw();
    // The final bars stay on screen as a summary; later output goes below them.
    this.drawnLines = 0;
    this.active = false;
  }

  /** Writes a log line above the bars. */
  writeAbove(line: string): void {
    this.clear();
    this.stream.write(line.endsWith('\n') ? line : `${line}\n`);
    if (this.active) this.draw();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.active) this.draw();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private clear(): void {
    if (this.drawnLines === 0) return;
    this.stream.write(`${CSI}${this.drawnLines}F${CSI}J`);
    this.drawnLines = 0;
  }

  /** Redraws in place: back to the first bar line, then every line cleared and written again. */
  draw(): void {
    const columns = this.stream.columns ?? 0;
    const lines = renderBars(this.meter.tables(), columns > 0 ? columns : 100); // a pty may report 0
    let out = this.drawnLines > 0 ? `${CSI}${this.drawnLines}F` : '';
    for (const line of lines) out += `${CSI}2K${line}\n`;
    if (lines.length < this.drawnLines) out += `${CSI}J`;
    this.stream.write(out);
    this.drawnLines = lines.length;
  }
}

/** The display's lines: a header, then one bar per table. Pure, for tests. */
export function renderBars(tables: readonly TableProgress[], columns: number): string[] {
  const copied = tables.filter((t) => t.state === 'copied').length;
  const rate = tables.reduce((sum, t) => sum + (t.state === 'copied' ? 0 : t.rate), 0);
  const rows = tables.reduce((sum, t) => sum + t.rowsDone, 0);
  const lines = [`backfill: ${copied}/${tables.length} tables done, ${formatCount(rows)} rows${rate > 0 ? `, ${formatCount(Math.round(rate))} rows/s` : ''}`];
  const nameWidth = Math.min(40, Math.max(...tables.map((t) => t.table.length + t.service.length + 3), 10));
  for (const t of tables) {
    const name = `${t.table} → ${t.service}`.padEnd(nameWidth);
    const ratio = ProgressMeter.ratio(t);
    const tail =
      t.state === 'copied'
        ? `done  ${formatCount(t.rowsDone)} rows`
        : t.state === 'pending'
          ? 'waiting'
          : `${String(Math.floor(ratio * 100)).padStart(3)}%  ${formatCount(t.rowsDone)}/${formatCount(t.rowsEstimated)} rows  ${formatCount(Math.round(t.rate))} rows/s  ETA ${formatDuration(t.etaSeconds)}`;
    const barWidth = Math.max(10, Math.min(30, columns - nameWidth - tail.length - 6));
    const filled = Math.round(ratio * barWidth);
    lines.push(`${name} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${tail}`.slice(0, Math.max(20, columns - 1)));
  }
  return lines;
}

export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/gu, ',');
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
