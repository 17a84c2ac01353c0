import type { ServiceName } from '../../mappings/services.js';
import { formatBytes } from '../../src/bytes.js';

/** How the last drift check of a service ended, as the view shows it. */
export type DriftCell =
  | { readonly kind: 'not-checked' }
  | { readonly kind: 'clean'; readonly ageSeconds: number }
  | { readonly kind: 'drift'; readonly rows: number }
  | { readonly kind: 'incomplete'; readonly reason: string };

export interface ServiceFrame {
  readonly service: ServiceName;
  /** 'running', or why the writer stopped. */
  readonly state: string;
  readonly lagBytes: number;
  readonly lagSeconds: number;
  /** Source transactions applied per second (recent). */
  readonly tps: number;
  /** Rows per target table, when counted. */
  readonly rows: readonly { readonly table: string; readonly rows: number }[] | undefined;
  readonly drift: DriftCell;
}

export interface BackfillFrame {
  readonly service: ServiceName;
  readonly tables: number;
  readonly tablesDone: number;
  readonly rowsDone: number;
  readonly rowsEstimated: number;
}

/** Everything one refresh of the demo's terminal view shows. */
export interface DemoFrame {
  readonly elapsedSeconds: number;
  /** What the demo is doing: seeding, backfill, streaming, cutover rehearsal, stopping. */
  readonly stage: string;
  readonly legacy: { readonly tps: number; readonly transactions: number; readonly errors: number; readonly frozenTables: readonly string[] };
  readonly backfill: readonly BackfillFrame[];
  readonly services: readonly ServiceFrame[];
  readonly warnings: number;
  readonly lastWarning: string | undefined;
  /** A line for the user (how to end the demo). */
  readonly hint: string | undefined;
}

export interface ViewStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}


export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatElapsed(seconds: number): string {
  const s = Math.floor(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function describeDrift(drift: DriftCell): string {
  switch (drift.kind) {
    case 'not-checked':
      return 'not checked yet';
    case 'clean':
      return `0 rows (${Math.round(drift.ageSeconds)} s ago)`;
    case 'drift':
      return `${formatCount(drift.rows)} ROWS`;
    case 'incomplete':
      return `incomplete`;
  }
}

function bar(ratio: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, ratio)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function backfillRatio(b: BackfillFrame): number {
  if (b.tables > 0 && b.tablesDone === b.tables) return 1;
  return b.rowsEstimated > 0 ? Math.min(0.99, b.rowsDone / b.rowsEstimated) : 0;
}

function rowsText(rows: ServiceFrame['rows']): string {
  return rows === undefined ? '…' : rows.map((r) => `${r.table} ${formatCount(r.rows)}`).join(' · ');
}

/** Splits `items` joined by `separator` into lines of at most `width` characters. */
function wrap(prefix: string, items: readonly string[], separator: string, width: number): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const item of items) {
    const next = line === prefix ? `${line}${item}` : `${line}${separator}${item}`;
    if (next.length > width && line !== prefix) {
      lines.push(line);
      line = `${' '.repeat(prefix.length)}${item}`;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines;
}

/** The full-screen frame for a terminal of `width` columns: a header, backfill bars, a table of services, rows per table. */
export function renderFrame(frame: DemoFrame, width = 120): string[] {
  const lines: string[] = [];
  const legacy = `legacy workload ${frame.legacy.tps.toFixed(1)} tx/s (${formatCount(frame.legacy.transactions)} tx${frame.legacy.errors > 0 ? `, ${frame.legacy.errors} failed` : ''})`;
  lines.push(`pgcarve demo · ${formatElapsed(frame.elapsedSeconds)} · ${frame.stage} · ${legacy}`);
  if (frame.legacy.frozenTables.length > 0) lines.push(`writes stopped on legacy ${frame.legacy.frozenTables.join(', ')}`);
  if (frame.backfill.length > 0) {
    lines.push('');
    for (const b of frame.backfill) {
      const ratio = backfillRatio(b);
      lines.push(`backfill ${b.service.padEnd(15)} ${bar(ratio, 24)} ${String(Math.round(ratio * 100)).padStart(3)}%  ${b.tablesDone}/${b.tables} tables  ${formatCount(b.rowsDone)} rows`);
    }
  }
  lines.push('');
  lines.push(`${'service'.padEnd(15)} ${'lag'.padStart(9)} ${'lag s'.padStart(6)} ${'tx/s'.padStart(6)}  drift`);
  for (const s of frame.services) {
    const state = s.state === 'running' ? '' : `  [${s.state}]`;
    lines.push(`${s.service.padEnd(15)} ${formatBytes(s.lagBytes).padStart(9)} ${s.lagSeconds.toFixed(1).padStart(6)} ${s.tps.toFixed(1).padStart(6)}  ${describeDrift(s.drift)}${state}`);
  }
  if (frame.services.some((s) => s.rows !== undefined)) {
    lines.push('', 'rows per target table');
    for (const s of frame.services) {
      lines.push(...wrap(`${s.service.padEnd(15)} `, (s.rows ?? []).map((r) => `${r.table} ${formatCount(r.rows)}`), ' · ', width));
    }
  }
  if (frame.warnings > 0) lines.push('', `${frame.warnings} warning(s); last: ${frame.lastWarning ?? ''}`);
  if (frame.hint) lines.push('', frame.hint);
  return lines;
}

/** The periodic block for logs and pipes: the same facts, a few plain lines. */
export function renderPlain(frame: DemoFrame): string[] {
  const lines = [`[${String(Math.round(frame.elapsedSeconds)).padStart(4)}s] ${frame.stage}: legacy workload ${frame.legacy.tps.toFixed(1)} tx/s, ${formatCount(frame.legacy.transactions)} transactions, ${frame.legacy.errors} failed${frame.legacy.frozenTables.length > 0 ? `; writes stopped on ${frame.legacy.frozenTables.join(', ')}` : ''}`];
  for (const b of frame.backfill) {
    if (b.tablesDone < b.tables) lines.push(`  backfill ${b.service}: ${b.tablesDone}/${b.tables} tables, ${b.rowsEstimated > 0 ? `${formatCount(b.rowsDone)} of ~${formatCount(b.rowsEstimated)} rows` : 'starting'}`);
  }
  for (const s of frame.services) {
    lines.push(`  ${s.service.padEnd(15)} lag ${formatBytes(s.lagBytes)} / ${s.lagSeconds.toFixed(1)} s, ${s.tps.toFixed(1)} tx/s, drift ${describeDrift(s.drift)}, rows: ${rowsText(s.rows)}${s.state === 'running' ? '' : ` [${s.state}]`}`);
  }
  if (frame.warnings > 0) lines.push(`  ${frame.warnings} warning(s); last: ${frame.lastWarning ?? ''}`);
  return lines;
}

/**
 * The demo's terminal output. On a TTY the frame is redrawn in place (cursor up, clear to the end
 * of the screen) and event lines scroll above it; otherwise a plain block is printed every
 * `plainEveryMs`, and event lines as they come.
 */
export class LiveView {
  private drawnLines = 0;
  private lastPlainAt = 0;
  private lastFrame: DemoFrame | undefined;

  constructor(
    private readonly out: ViewStream,
    private readonly plainEveryMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** A line that stays (a step done, a result). */
  event(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    if (this.lastFrame && this.tty) this.draw(this.lastFrame);
  }

  update(frame: DemoFrame): void {
    this.lastFrame = frame;
    if (this.tty) {
      this.clear();
      this.draw(frame);
    } else if (this.now() - this.lastPlainAt >= this.plainEveryMs) {
      this.lastPlainAt = this.now();
      this.out.write(`${renderPlain(frame).join('\n')}\n`);
    }
  }

  /** Prints the frame once more as plain lines and stops redrawing. */
  close(finalFrame?: DemoFrame): void {
    this.clear();
    const frame = finalFrame ?? this.lastFrame;
    this.lastFrame = undefined;
    if (frame) this.out.write(`${(this.tty ? renderFrame(frame, this.width()) : renderPlain(frame)).join('\n')}\n`);
    if (this.tty) this.out.write('\x1b[?25h');
  }

  private draw(frame: DemoFrame): void {
    const width = this.width();
    const lines = renderFrame(frame, width).map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    this.out.write(`\x1b[?25l${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Usable columns: one less than the terminal's, so that no line wraps (a pty may report 0). */
  private width(): number {
    const columns = this.out.columns ?? 0;
    return Math.max(40, (columns > 0 ? columns : 120) - 1);
  }

  private clear(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\r\x1b[0J`);
    this.drawnLines = 0;
  }
}
