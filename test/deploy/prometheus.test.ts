import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LABEL_VALUES, METRIC_PREFIX, PGCARVE_METRICS, type MetricFamily } from './metric-names.js';
import { describeOutcomes, runDashboardQueries, startPrometheus, type PrometheusServer } from './prometheus.js';

// The helper for the end-to-end check (a real Prometheus scraping a live pgcarve, every panel
// query run against it) tested on its own: here Prometheus scrapes a stand-in exporter that
// serves every metric of metric-names.ts with plausible values. It proves the dashboard's queries
// are valid PromQL that return data whenever the metrics exist, and that the helper tells apart
// queries with data, without data, and rejected.

const TABLES = ['users', 'documents'];

function labelValues(family: MetricFamily, label: string): readonly string[] {
  switch (label) {
    case 'service':
      return LABEL_VALUES.service;
    case 'op':
      return LABEL_VALUES.op;
    case 'state':
      return family.name === 'pgcarve_reverse_state' ? LABEL_VALUES.reverseState : LABEL_VALUES.state;
    case 'status':
      return LABEL_VALUES.status;
    case 'table':
      return TABLES;
    case 'kind':
      return family.name === 'pgcarve_drift_rows' ? LABEL_VALUES.driftKind : ['connection_lost'];
    default:
      throw new Error(`no sample values for label ${label} of ${family.name}`);
  }
}

function combinations(family: MetricFamily): readonly Record<string, string>[] {
  return family.labels.reduce<Record<string, string>[]>(
    (acc, label) => acc.flatMap((partial) => labelValues(family, label).map((value) => ({ ...partial, [label]: value }))),
    [{}],
  );
}

function gaugeValue(name: string, labels: Record<string, string>, scrape: number): number {
  if (name === 'pgcarve_writer_state') return labels['state'] === 'running' ? 1 : 0;
  if (name === 'pgcarve_reverse_state') return labels['state'] === 'off' ? 1 : 0;
  if (name === 'pgcarve_slot_wal_status') return labels['status'] === 'reserved' ? 1 : 0;
  if (name === 'pgcarve_source_lsn' || name === 'pgcarve_applied_lsn') return 1_000_000 + scrape * 4096;
  if (name === 'pgcarve_drift_last_check_timestamp_seconds') return Date.now() / 1000;
  if (name === 'pgcarve_drift_rows' || name === 'pgcarve_unrouted_tables') return 0;
  return 1;
}

/** A registry with every pgcarve metric; each scrape moves counters and gauges forward. */
function standInExporter(): { readonly registry: Registry; readonly scrape: () => void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const updates: ((scrape: number) => void)[] = [];
  for (const family of PGCARVE_METRICS) {
    const config = { name: family.name, help: family.name, labelNames: [...family.labels], registers: [registry] };
    const combos = combinations(family);
    if (family.type === 'counter') {
      const counter = new Counter(config);
      updates.push(() => combos.forEach((labels) => counter.inc(labels, 3)));
    } else if (family.type === 'gauge') {
      const gauge = new Gauge(config);
      updates.push((scrape) => combos.forEach((labels) => gauge.set(labels, gaugeValue(family.name, labels, scrape))));
    } else {
      const histogram = new Histogram({ ...config, buckets: [0.005, 0.05, 0.5, 5] });
      updates.push(() => combos.forEach((labels) => [0.004, 0.02, 0.3].forEach((v) => histogram.observe(labels, v))));
    }
  }
  let scrapes = 0;
  return { registry, scrape: () => updates.forEach((update) => update(scrapes++)) };
}

let exporter: Server;
let prometheus: PrometheusServer;

beforeAll(async () => {
  const { registry, scrape } = standInExporter();
  scrape();
  exporter = createServer((request, response) => {
    scrape();
    void registry.metrics().then((text) => {
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const { port } = exporter.address() as AddressInfo;
  prometheus = await startPrometheus({ target: `http://127.0.0.1:${port}/metrics` });
  await prometheus.waitForScrapes(3);
});

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => exporter?.close(resolve));
});

describe('prometheus.ts', () => {
  test('every dashboard query returns data when pgcarve exports every metric', async () => {
    const report = await runDashboardQueries(prometheus);
    expect(report.outcomes.length).toBeGreaterThan(20);
    expect(describeOutcomes(report.failed), 'queries Prometheus rejected').toBe('');
    expect(describeOutcomes(report.noData), 'queries without data').toBe('');
  });

  test('reports a query without data, and one Prometheus rejects, apart', async () => {
    const dashboard = {
      panels: [
        { type: 'row', title: 'Test', panels: [] },
        { type: 'timeseries', title: 'present', targets: [{ refId: 'A', expr: 'pgcarve_ready' }] },
        { type: 'timeseries', title: 'absent', targets: [{ refId: 'A', expr: 'pgcarve_no_such_metric{service=~"$service"}' }] },
        { type: 'timeseries', title: 'broken', targets: [{ refId: 'A', expr: 'rate(pgcarve_ready' }] },
      ],
    };
    const report = await runDashboardQueries(prometheus, { dashboard });
    expect(report.outcomes.map((o) => [o.panel, o.series])).toEqual([
      ['present', 1],
      ['absent', 0],
      ['broken', 0],
    ]);
    expect(report.noData.map((o) => o.panel)).toEqual(['absent']);
    expect(report.noData[0]?.query).toBe('pgcarve_no_such_metric{service=~"(user_db|document_db|freezone_db|ai_research_db|scraper_db)"}');
    expect(report.failed.map((o) => o.panel)).toEqual(['broken']);
  });

  test('scrapes with the job label pgcarve', async () => {
    const data = await prometheus.query('up{job="pgcarve"}');
    expect(data.result).toHaveLength(1);
  });
});
