import type { SampleStats } from './sample-stats.js';

/** The rows every benchmark report has, in order (a row whose measurement failed says why). */
export const BENCH_ROWS = [
  'catch-up: small transactions vs one native subscription',
  'catch-up: small transactions vs native per service',
  'catch-up: one large transaction vs one native subscription',
  'decode ceiling',
  'backfill',
  'latency p50',
  'latency p99',
  'memory: backlog',
  'memory: backlog / 4',
  'memory: backfill',
  'apply strategy: unnest arrays',
  'apply strategy: multi-row VALUES',
  'apply strategy: COPY + INSERT SELECT',
] as const;
export type BenchRowName = (typeof BENCH_ROWS)[number];

export interface BenchRow {
  readonly name: BenchRowName;
  readonly unit: 'rows/s' | 'ms' | 'MiB';
  /** What exactly was measured, in a few words (sizes, repetitions). */
  readonly detail: string;
  readonly pgcarve?: SampleStats;
  readonly alternative?: { readonly name: string; readonly stats?: SampleStats; readonly missing?: string };
  /** pgcarve's median over the alternative's, oriented so that above 1 means pgcarve is better. */
  readonly ratio?: number;
  readonly goal?: string;
  readonly met?: boolean;
  /** Why this row has no measurement. */
  readonly error?: string;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly machine: { readonly cores: number; readonly memoryGiB: number; readonly node: string; readonly postgres: string; readonly clientTools: string };
  readonly sizes: Readonly<Record<string, number>>;
  readonly command: string;
  readonly rows: readonly BenchRow[];
  readonly elapsedSeconds: number;
}

const number = (value: number, unit: BenchRow['unit']): string =>
  unit === 'rows/s' ? Math.round(value).toLocaleString('en-US') : value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');

const stats = (s: SampleStats | undefined, unit: BenchRow['unit']): string =>
  s ? `${number(s.median, unit)} (${number(s.min, unit)}–${number(s.max, unit)})` : '–';

/** The report as a plain-text table: median (min–max) of each side, ratio, goal, met. */
export function formatReport(report: BenchReport): string {
  const header = ['figure', 'unit', 'pgcarve median (min–max)', 'alternative', 'alt. median (min–max)', 'ratio', 'goal', 'met'];
  const lines = report.rows.map((row) => [
    row.name,
    row.unit,
    row.error ? `failed: ${row.error}` : stats(row.pgcarve, row.unit),
    row.alternative?.name ?? '–',
    row.alternative?.missing ? `skipped: ${row.alternative.missing}` : stats(row.alternative?.stats, row.unit),
    row.ratio === undefined ? '–' : `${row.ratio.toFixed(2)}×`,
    row.goal ?? '–',
    row.met === undefined ? '–' : row.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const m = report.machine;
  return [
    `pgcarve bench (${report.mode}): ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.postgres}, client tools: ${m.clientTools}`,
    `sizes: ${Object.entries(report.sizes).map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`).join(', ')}`,
    '',
    render(header),
    render(widths.map((w) => '-'.repeat(w))),
    ...lines.map(render),
    '',
    ...report.rows.map((row) => `  ${row.name}: ${row.detail}`),
    '',
    `finished in ${report.elapsedSeconds.toFixed(0)} s; command: ${report.command}`,
  ].join('\n');
}
