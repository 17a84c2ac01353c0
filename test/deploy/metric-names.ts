import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics pgcarve exports, as the dashboard and the alerts rely on them. This list is the
 * contract between src/metrics and the deployment files: every metric a panel or an alert uses
 * must be here (metric-names.test.ts), and everything here must appear in a live pgcarve's
 * /metrics (checked end to end against a running sidecar).
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricFamily {
  /** The family name, as in `# TYPE <name> <type>` (prom-client keeps `_total` in counter names). */
  readonly name: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
}

export const METRIC_PREFIX = 'pgcarve_';

/** pgcarve's own metrics. */
export const PGCARVE_METRICS: readonly MetricFamily[] = [
  { name: 'pgcarve_replication_lag_bytes', type: 'gauge', labels: ['service'] },
  { name: 'pgcarve_replication_lag_seconds', type: 'gauge', labels: ['service'] },
  { name: 'pgcarve_slot_retained_wal_bytes', type: 'gauge', labels: [] },
  { name: 'pgcarve_slot_safe_wal_size_bytes', type: 'gauge', labels: [] },
  { name: 'pgcarve_slot_wal_status', type: 'gauge', labels: ['status'] },
  { name: 'pgcarve_applied_lsn', type: 'gauge', labels: ['service'] },
  { name: 'pgcarve_source_lsn', type: 'gauge', labels: [] },
  { name: 'pgcarve_transactions_applied_total', type: 'counter', labels: ['service'] },
  { name: 'pgcarve_changes_applied_total', type: 'counter', labels: ['service', 'table', 'op'] },
  { name: 'pgcarve_apply_batch_duration_seconds', type: 'histogram', labels: ['service'] },
  { name: 'pgcarve_errors_total', type: 'counter', labels: ['service', 'kind'] },
  { name: 'pgcarve_writer_state', type: 'gauge', labels: ['service', 'state'] },
  { name: 'pgcarve_drift_rows', type: 'gauge', labels: ['service', 'table', 'kind'] },
  { name: 'pgcarve_drift_last_check_timestamp_seconds', type: 'gauge', labels: ['service'] },
  { name: 'pgcarve_drift_checked_rows_total', type: 'counter', labels: ['service', 'table'] },
  { name: 'pgcarve_backfill_rows_total', type: 'counter', labels: ['service', 'table'] },
  { name: 'pgcarve_backfill_progress_ratio', type: 'gauge', labels: ['service', 'table'] },
  { name: 'pgcarve_legacy_writes_after_cutover_total', type: 'counter', labels: ['service', 'table'] },
  { name: 'pgcarve_reverse_lag_bytes', type: 'gauge', labels: ['service'] },
  { name: 'pgcarve_reverse_state', type: 'gauge', labels: ['service', 'state'] },
  { name: 'pgcarve_source_connected', type: 'gauge', labels: [] },
  { name: 'pgcarve_ready', type: 'gauge', labels: [] },
  { name: 'pgcarve_unrouted_tables', type: 'gauge', labels: [] },
];

/** The values of the closed labels (`service`, `op`, `state`, `status`), as pgcarve exports them. */
export const LABEL_VALUES = {
  service: ['user_db', 'document_db', 'freezone_db', 'ai_research_db', 'scraper_db'],
  op: ['insert', 'update', 'delete', 'truncate'],
  state: ['running', 'behind', 'stopped'],
  reverseState: ['off', 'starting', 'streaming', 'reconnecting', 'stopped'],
  status: ['reserved', 'extended', 'unreserved', 'lost'],
  driftKind: ['missing', 'extra', 'different'],
} as const;

/**
 * prom-client's default process and Node.js metrics with pgcarve's prefix
 * (pgcarve_process_cpu_seconds_total, pgcarve_process_resident_memory_bytes, …), as the sidecar
 * registers them with `collectDefaultMetrics({ prefix: 'pgcarve_' })`.
 */
export async function defaultMetricFamilies(): Promise<readonly MetricFamily[]> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const families = await registry.getMetricsAsJSON();
  return families.map((f) => ({ name: f.name, type: String(f.type) as MetricType, labels: [] }));
}

/** The series names a family appears under in /metrics (a histogram: _bucket, _sum and _count). */
export function seriesNames(family: MetricFamily): readonly string[] {
  return family.type === 'histogram' ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`] : [family.name];
}

/** Series Prometheus itself writes for every target; alerts may use them. */
export const SCRAPE_SERIES: readonly string[] = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];

/** Every series name a query may use: pgcarve's, the default process metrics, and the scrape series. */
export async function knownSeriesNames(): Promise<ReadonlySet<string>> {
  const families = [...PGCARVE_METRICS, ...(await defaultMetricFamilies())];
  return new Set([...families.flatMap(seriesNames), ...SCRAPE_SERIES]);
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects. Strings, label matchers, range and subquery
 * brackets, grouping clauses, functions, keywords and numbers are not metric names. Grafana
 * variables may be present (they sit inside matchers and ranges).
 */
export function metricNamesIn(expr: string): readonly string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const rest = stripped.slice((match.index ?? 0) + name.length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    if (/^[0-9]/.test(name)) continue;
    const before = stripped.slice(0, match.index ?? 0);
    if (/[0-9.]$/.test(before) || /\$$/.test(before)) continue; // a duration suffix or a variable
    names.add(name);
  }
  return [...names].sort();
}

export interface ExpositionCheck {
  /** Families of PGCARVE_METRICS (and the default process metrics) absent from the text. */
  readonly missing: readonly string[];
  /** Families present with another type than expected, as `name: expected type, got type`. */
  readonly wrongType: readonly string[];
}

/**
 * Compares a /metrics response (Prometheus text format, as prom-client serves it) with the
 * families the dashboard and the alerts rely on, by its `# TYPE <name> <type>` lines.
 */
export async function checkExposition(text: string): Promise<ExpositionCheck> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1] ?? '', match[2] ?? '');
  const expected = [...PGCARVE_METRICS, ...(await defaultMetricFamilies())];
  return {
    missing: expected.filter((f) => !types.has(f.name)).map((f) => f.name),
    wrongType: expected.filter((f) => types.has(f.name) && types.get(f.name) !== f.type).map((f) => `${f.name}: expected ${f.type}, got ${types.get(f.name)}`),
  };
}
