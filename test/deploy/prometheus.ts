import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardQueries, expandVariables, readDashboard, type PanelQuery, type VariableValues } from './dashboard-queries.js';
import { LABEL_VALUES } from './metric-names.js';
import { PROMETHEUS_BINARY, requireTool } from './tools.js';

/** The answer of /api/v1/query for an instant vector or scalar. */
export interface QueryResult {
  readonly resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  readonly result: readonly { readonly metric?: Record<string, string>; readonly value?: readonly [number, string] }[] | readonly [number, string];
}

export interface PrometheusServer {
  /** Base URL, http://127.0.0.1:<port>. */
  readonly url: string;
  /** The job name of the scraped target (the `job` label of its series). */
  readonly job: string;
  /** Runs an instant query at the current time; throws with Prometheus's message on an error. */
  query(expr: string): Promise<QueryResult>;
  /** Resolves once the target has been scraped successfully `count` times in a row (needed before rate() has two points). */
  waitForScrapes(count: number, timeoutMs?: number): Promise<void>;
  /** Stops Prometheus and removes its directory. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** The URL to scrape, such as http://127.0.0.1:9187/metrics. */
  readonly target: string;
  /** Scrape interval; 1s by default, so that a test gets enough points for rate() quickly. */
  readonly scrapeInterval?: string;
  readonly job?: string;
}

/**
 * Starts Debian's Prometheus (/usr/bin/prometheus) on 127.0.0.1 with a free port and a temporary
 * directory, scraping one target. Fails (never skips) when Prometheus is not installed: CI installs
 * it with .ci/install-tools.sh.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const binary = requireTool(PROMETHEUS_BINARY, 'Prometheus');
  const target = new URL(options.target);
  const job = options.job ?? 'pgcarve';
  const interval = options.scrapeInterval ?? '1s';
  const dir = mkdtempSync(join(tmpdir(), 'pgcarve-prometheus-'));
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(job)}`,
    `    scheme: ${target.protocol.replace(':', '')}`,
    `    metrics_path: ${JSON.stringify(target.pathname || '/metrics')}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(target.host)}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logPath = join(dir, `prometheus-${attempt}.log`);
    const log = openSync(logPath, 'w');
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    try {
      await waitUntilReady(url, child, logPath);
      return server(url, job, child, dir);
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function server(url: string, job: string, child: ChildProcess, dir: string): PrometheusServer {
  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
    });
    const body = (await response.json()) as { status: string; data?: QueryResult; error?: string; errorType?: string };
    if (body.status !== 'success' || !body.data) throw new Error(`Prometheus rejected ${expr}: ${body.errorType ?? ''} ${body.error ?? response.statusText}`);
    return body.data;
  };
  return {
    url,
    job,
    query,
    async waitForScrapes(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const expr = `sum_over_time(up{job=${JSON.stringify(job)}}[10m])`;
      for (;;) {
        const data = await query(expr);
        const done = sampleValues(data).some((v) => v >= count);
        if (done) return;
        if (Date.now() > deadline) {
          const targets = await (await fetch(`${url}/api/v1/targets`)).text();
          throw new Error(`Prometheus did not scrape ${job} successfully ${count} times within ${timeoutMs} ms; targets: ${targets}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The numbers in a query result (one per series, or the scalar). */
export function sampleValues(data: QueryResult): readonly number[] {
  if (data.resultType === 'scalar') return [Number((data.result as readonly [number, string])[1])];
  return (data.result as readonly { value?: readonly [number, string] }[]).map((s) => Number(s.value?.[1]));
}

async function waitUntilReady(url: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`Prometheus exited during start:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Prometheus was not ready within 20 s:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface PanelQueryOutcome extends PanelQuery {
  /** The expression as sent, variables substituted. */
  readonly query: string;
  /** Number of series returned (a scalar counts as one). */
  readonly series: number;
  /** Prometheus's error, when it rejected the query. */
  readonly error?: string;
}

export interface DashboardQueryReport {
  readonly outcomes: readonly PanelQueryOutcome[];
  /** Queries that ran and returned nothing: the panel would show "No data". */
  readonly noData: readonly PanelQueryOutcome[];
  /** Queries Prometheus rejected. */
  readonly failed: readonly PanelQueryOutcome[];
}

export const DEFAULT_VARIABLES: VariableValues = {
  services: LABEL_VALUES.service,
  rateInterval: '1m',
  range: '1h',
  interval: '15s',
};

/**
 * Runs every panel query of the dashboard (grafana/pgcarve.json unless given) against a running
 * Prometheus, with the variables substituted (`$service`: every service; `$__rate_interval`: 1m),
 * and reports which returned no data and which failed.
 */
export async function runDashboardQueries(
  prometheus: Pick<PrometheusServer, 'query'>,
  options: { readonly dashboard?: Parameters<typeof dashboardQueries>[0]; readonly variables?: Partial<VariableValues> } = {},
): Promise<DashboardQueryReport> {
  const variables: VariableValues = { ...DEFAULT_VARIABLES, ...options.variables };
  const outcomes: PanelQueryOutcome[] = [];
  for (const q of dashboardQueries(options.dashboard ?? readDashboard())) {
    const query = expandVariables(q.expr, variables);
    try {
      const data = await prometheus.query(query);
      const series = data.resultType === 'scalar' ? 1 : (data.result as readonly unknown[]).length;
      outcomes.push({ ...q, query, series });
    } catch (error) {
      outcomes.push({ ...q, query, series: 0, error: (error as Error).message });
    }
  }
  return {
    outcomes,
    noData: outcomes.filter((o) => o.error === undefined && o.series === 0),
    failed: outcomes.filter((o) => o.error !== undefined),
  };
}

/** One line per query, for an assertion message. */
export function describeOutcomes(outcomes: readonly PanelQueryOutcome[]): string {
  return outcomes.map((o) => `${o.row} / ${o.panel} [${o.refId}]: ${o.error ?? `${o.series} series`}\n    ${o.query}`).join('\n');
}
