import type { Dashboard } from '@grafana/schema';
import { describe, expect, test } from 'vitest';
import dashboardJson from '../../grafana/pgcarve.json' with { type: 'json' };
import { dashboardQueries, DASHBOARD_PATH, readDashboard } from './dashboard-queries.js';
import type { ImportedJsonOf } from './json-of.js';
import { metricNamesIn, PGCARVE_METRICS } from './metric-names.js';
import { typecheckLiterals } from './typecheck-literal.js';

// Checked by `tsc -p tsconfig.json --noEmit` (npm run typecheck): the imported dashboard has the
// shape of @grafana/schema's Dashboard. A JSON import widens strings, so this cannot see literal
// unions, enums or unknown keys; the test below checks those on the same file.
const imported: ImportedJsonOf<Dashboard> = dashboardJson;

interface PanelJson {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: readonly { readonly datasource?: { readonly type: string; readonly uid: string }; readonly expr: string }[];
  readonly panels?: readonly PanelJson[];
}

const dashboard = readDashboard() as { uid: string; title: string; templating: { list: { name: string; type: string; query?: unknown; multi?: boolean; includeAll?: boolean }[] }; panels: PanelJson[] };

describe('the Grafana dashboard', () => {
  test('type-checks exactly against @grafana/schema (literal unions, enums, unknown keys)', () => {
    expect(imported.uid).toBe('pgcarve');
    const problems = typecheckLiterals(
      [`import type { Dashboard } from '@grafana/schema';`, `import type { JsonOf } from './json-of.js';`],
      [{ type: 'JsonOf<Dashboard>', value: readDashboard(DASHBOARD_PATH), label: 'grafana/pgcarve.json' }],
    );
    expect(problems).toEqual([]);
  });

  test('has a stable uid, a Prometheus data source variable and a multi-value service variable', () => {
    expect(dashboard.uid).toBe('pgcarve');
    expect(dashboard.title).toBe('pgcarve');
    const [datasource, service] = dashboard.templating.list;
    expect(datasource).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    expect(service).toMatchObject({ name: 'service', type: 'query', multi: true, includeAll: true });
    expect(JSON.stringify(service?.query)).toContain('label_values(pgcarve_writer_state, service)');
  });

  test('every panel and query uses the data source variable', () => {
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  test('has rows by concern, in order', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['Overview', 'Replication', 'Backfill', 'Drift', 'Errors', 'Process']);
  });

  test('each row shows what it is about', () => {
    const metricsOfRow = (row: string) => new Set(dashboardQueries().filter((q) => q.row === row).flatMap((q) => metricNamesIn(q.expr)));
    expect([...metricsOfRow('Overview')]).toEqual(expect.arrayContaining(['pgcarve_replication_lag_bytes', 'pgcarve_replication_lag_seconds', 'pgcarve_writer_state', 'pgcarve_ready']));
    expect([...metricsOfRow('Replication')]).toEqual(
      expect.arrayContaining(['pgcarve_slot_retained_wal_bytes', 'pgcarve_transactions_applied_total', 'pgcarve_changes_applied_total', 'pgcarve_apply_batch_duration_seconds_bucket']),
    );
    expect([...metricsOfRow('Backfill')]).toEqual(expect.arrayContaining(['pgcarve_backfill_progress_ratio', 'pgcarve_backfill_rows_total']));
    expect([...metricsOfRow('Drift')]).toEqual(expect.arrayContaining(['pgcarve_drift_rows', 'pgcarve_drift_last_check_timestamp_seconds']));
    expect([...metricsOfRow('Errors')]).toEqual(['pgcarve_errors_total']);
    expect([...metricsOfRow('Process')].every((m) => m.startsWith('pgcarve_process_') || m.startsWith('pgcarve_nodejs_'))).toBe(true);
    const latency = dashboardQueries().filter((q) => q.panel === 'Apply batch latency').map((q) => q.expr);
    expect(latency.some((e) => e.startsWith('histogram_quantile(0.5,'))).toBe(true);
    expect(latency.some((e) => e.startsWith('histogram_quantile(0.99,'))).toBe(true);
  });

  test('every query of a metric with a service label filters on $service', () => {
    const withService = new Set(PGCARVE_METRICS.filter((m) => m.labels.includes('service')).flatMap((m) => [m.name, `${m.name}_bucket`]));
    for (const query of dashboardQueries()) {
      if (metricNamesIn(query.expr).some((m) => withService.has(m))) expect(query.expr, `${query.panel} [${query.refId}]`).toContain('service=~"$service"');
    }
  });

  test('panels have unique ids and do not overlap on the 24-column grid', () => {
    const panels = dashboard.panels;
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x += 1) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y += 1) {
          expect(cells.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
