import type { Server } from 'node:http';
import { close, createApp, listen } from '../../src/http/http-server.js';
import { mountApi } from '../../src/http/api-routes.js';
import { sidecarApi } from '../../src/http/sidecar-api.js';
import { legacyTablesByService } from '../../src/cutover/legacy-tables.js';
import { silentLogger } from '../../src/log.js';
import { PgcarveMetrics } from '../../src/metrics/metrics.js';
import { SourcePoller } from '../../src/metrics/source-poller.js';
import { ContinuousVerifier, writerViews } from '../../src/verify/continuous-verifier.js';
import type { VerifyOptions } from '../../src/verify/drift-verifier.js';
import type { TestDatabases } from '../harness/databases.js';
import { startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/** A sidecar in this process with what `pgcarve run` builds beside it, on a free port. */
export interface ObservedSidecar extends RunningSidecar {
  readonly metrics: PgcarveMetrics;
  readonly poller: SourcePoller;
  readonly verifier: ContinuousVerifier;
  /** http://127.0.0.1:<port> */
  readonly url: string;
}

export interface ObservedOptions {
  readonly driftIntervalSeconds?: number;
  readonly verify?: Partial<Pick<VerifyOptions, 'chunkSize' | 'pauseMs' | 'waitTimeoutMs' | 'maxRounds'>>;
  readonly pollIntervalMs?: number;
  /** More configuration keys (PGCARVE_HTTP_TOKEN, …). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Wires the parts as run-command.ts does. */
export async function startObservedSidecar(dbs: TestDatabases, options: ObservedOptions = {}): Promise<ObservedSidecar> {
  const metrics = new PgcarveMetrics();
  const running = await startSidecar(dbs, { ...options.env }, { observer: metrics, sealObserver: metrics });
  const { sidecar, config } = running;
  const poller = new SourcePoller({ legacyUrl: config.legacyUrl, slot: config.slot, intervalMs: options.pollIntervalMs ?? 500, onSourceLsn: (lsn) => sidecar.observeSourceLsn(lsn), log: silentLogger });
  metrics.bind({ snapshot: () => sidecar.snapshot(), ready: () => sidecar.ready(), slot: () => poller.latest, tablesByService: sidecar.routing.tablesByService });
  metrics.bindLegacyTables(legacyTablesByService(sidecar.routing));
  const verifier = new ContinuousVerifier({
    legacyUrl: config.legacyUrl,
    serviceUrls: config.serviceUrls,
    slot: config.slot,
    routing: sidecar.routing,
    intervalSeconds: options.driftIntervalSeconds ?? 0,
    canRun: () => sidecar.phase === 'streaming',
    ...writerViews(sidecar.writers),
    observer: metrics,
    log: silentLogger,
    ...options.verify,
  });
  const app = createApp({ ready: () => sidecar.ready(), routes: (a) => mountApi(a, sidecarApi({ config, sidecar, metrics, poller, verifier })) });
  const { server, port }: { server: Server; port: number } = await listen(app, 0, '127.0.0.1');
  const controller = new AbortController();
  const loops = [poller.run(controller.signal), verifier.run(controller.signal)];
  await poller.nextPoll();
  return {
    ...running,
    metrics,
    poller,
    verifier,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      controller.abort();
      await Promise.all(loops);
      await close(server);
      await running.stop();
    },
  };
}

/** The value of one series in a Prometheus text exposition, or undefined. */
export function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{\s]+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3]);
  }
  return undefined;
}
