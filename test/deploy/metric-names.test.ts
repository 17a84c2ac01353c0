import { describe, expect, test } from 'vitest';
import { renderAlertRules } from './alert-rules.js';
import { dashboardQueries } from './dashboard-queries.js';
import { checkExposition, knownSeriesNames, metricNamesIn, METRIC_PREFIX, PGCARVE_METRICS, seriesNames } from './metric-names.js';
import { PROMTOOL_BINARY, requireTool } from './tools.js';

describe('metric names', () => {
  test('every metric a dashboard query uses is one pgcarve exports', async () => {
    const known = await knownSeriesNames();
    const unknown = dashboardQueries().flatMap((q) => metricNamesIn(q.expr).filter((m) => !known.has(m)).map((m) => `${q.row} / ${q.panel} [${q.refId}]: ${m}`));
    expect(unknown).toEqual([]);
  });

  test('every metric an alert uses is one pgcarve exports (or `up`, which Prometheus writes)', async () => {
    const known = await knownSeriesNames();
    const rules = (await renderAlertRules()).flatMap((g) => g.rules);
    const unknown = rules.flatMap((r) => metricNamesIn(r.expr).filter((m) => !known.has(m)).map((m) => `${r.alert}: ${m}`));
    expect(unknown).toEqual([]);
  });

  test('every pgcarve metric is on the dashboard', () => {
    const used = new Set(dashboardQueries().flatMap((q) => metricNamesIn(q.expr)));
    const unused = PGCARVE_METRICS.filter((family) => !seriesNames(family).some((name) => used.has(name))).map((f) => f.name);
    expect(unused).toEqual([]);
  });

  test('follow Prometheus naming: the prefix, base units, _total on counters only', () => {
    for (const family of PGCARVE_METRICS) {
      expect(family.name.startsWith(METRIC_PREFIX), family.name).toBe(true);
      expect(family.name.endsWith('_total'), family.name).toBe(family.type === 'counter');
      expect(family.name, family.name).not.toMatch(/_(milliseconds|ms|kilobytes|megabytes|minutes)(_|$)/);
    }
  });

  test('the PromQL name extractor skips functions, keywords, label matchers, strings and durations', () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (service, le) (rate(a_bucket{service=~"$service"}[$__rate_interval])))')).toEqual(['a_bucket']);
    expect(metricNamesIn('(x > 0) and on (job) (changes(y{job="z"}[10m]) == 0) or vector(1e9)')).toEqual(['x', 'y']);
    expect(metricNamesIn('time() - max by (service) (b)')).toEqual(['b']);
    expect(metricNamesIn('absent(up{namespace="pgcarve", job="pgcarve"})')).toEqual(['up']);
  });

  test('checkExposition finds a missing family and a wrong type in a /metrics text', async () => {
    const text = ['# HELP pgcarve_ready ready', '# TYPE pgcarve_ready counter', 'pgcarve_ready 1', ''].join('\n');
    const check = await checkExposition(text);
    expect(check.wrongType).toEqual(['pgcarve_ready: expected gauge, got counter']);
    expect(check.missing).toContain('pgcarve_replication_lag_bytes');
    expect(check.missing).toContain('pgcarve_process_cpu_seconds_total');
    expect(check.missing).not.toContain('pgcarve_ready');
  });
});

describe('a missing tool', () => {
  test('fails with a message naming .ci/install-tools.sh (never a silent skip)', () => {
    expect(() => requireTool('/nonexistent/promtool', 'promtool')).toThrow(/promtool is not installed .*run \.ci\/install-tools\.sh/);
    expect(requireTool(PROMTOOL_BINARY, 'promtool')).toBe(PROMTOOL_BINARY);
  });
});
