import { Backfill } from './backfill/backfill.js';
import { combineObservers, type BackfillObserver } from './backfill/backfill-observer.js';
import type { Config } from './config/config.js';
import { legacyTablesByService } from './cutover/legacy-tables.js';
import type { PgcarveError } from './errors/pgcarve-error.js';
import { mountApi } from './http/api-routes.js';
import { close, createApp, listen } from './http/http-server.js';
import { sidecarApi } from './http/sidecar-api.js';
import type { Logger } from './log.js';
import { PgcarveMetrics } from './metrics/metrics.js';
import { SourcePoller } from './metrics/source-poller.js';
import { ReverseSupervisor } from './reverse/reverse-supervisor.js';
import { SERVICES, type ServiceName } from '../mappings/services.js';
import { Sidecar, type SidecarParts } from './sidecar.js';
import { RelationMemory } from './router/relation-memory.js';
import { Router } from './router/router.js';
import type { RoutingTable } from './router/routing-table.js';
import { ReplicationStream } from './source/replication-stream.js';
import type { InverseMapping } from '../mappings/inverse-mapping.js';
import { TargetWriter, type WriterObserver, type WriterState } from './targets/target-writer.js';
import { ContinuousVerifier, writerViews } from './verify/continuous-verifier.js';
import type { DriftReport } from './verify/drift-report.js';

/**
 * The mappings, loaded once by the entry point (the CLI's main, the demo, a test) and passed down
 * with the configuration: the routing table of LEGACY_RULES and the inverse mappings.
 */
export interface Mappings {
  readonly routing: RoutingTable;
  readonly inverses: readonly InverseMapping[];
}

export interface RuntimeOptions {
  readonly config: Config;
  readonly mappings: Mappings;
  readonly log: Logger;
  /** More observers (progress output, the demo's view); the metrics are always wired in. */
  readonly backfillObserver?: BackfillObserver;
  readonly writerObserver?: WriterObserver;
  /** Export prom-client's process metrics (off where several runtimes share a process). */
  readonly defaultMetrics?: boolean;
  /** Where the HTTP API listens, overriding PGCARVE_HTTP_HOST. */
  readonly httpHost?: string;
  /** How often the legacy WAL position and slot state are read. */
  readonly pollIntervalMs?: number;
}

/** Everything `pgcarve run` runs: the sidecar and what stands beside it. */
export interface Runtime {
  readonly sidecar: Sidecar;
  readonly httpPort: number;
  /** Resolves when the sidecar streams (after its backfill); rejects if it fails before. */
  readonly streaming: Promise<void>;
  /** Rejects when the sidecar stops on a failure; resolves once stop() has drained it. */
  readonly finished: Promise<void>;
  /** The last complete pass of the continuous drift check. */
  readonly lastDrift: () => DriftReport | undefined;
  /** Stops the drift check, the source poller, the sidecar (draining) and the HTTP API. Idempotent. */
  readonly stop: () => Promise<void>;
}

function writerObservers(...observers: readonly WriterObserver[]): WriterObserver {
  return {
    batchCommitted: (service, info) => observers.forEach((o) => o.batchCommitted(service, info)),
    error: (service: ServiceName, error: PgcarveError) => observers.forEach((o) => o.error(service, error)),
    stateChanged: (service: ServiceName, state: WriterState) => observers.forEach((o) => o.stateChanged(service, state)),
  };
}

/**
 * The concrete objects of one sidecar: one writer per service on the configured databases, and a
 * router and a replication connection for each stream round. The one place they are built.
 */
export function sidecarParts(config: Config, routing: RoutingTable, log: Logger, observer?: WriterObserver): SidecarParts {
  const relations = new RelationMemory(routing);
  return {
    routing,
    relations,
    writers: SERVICES.map(
      (service) =>
        new TargetWriter({
          service,
          url: config.serviceUrls[service],
          slot: config.slot,
          tables: routing.tablesByService.get(service) ?? [],
          maxTransactions: config.batchMaxTransactions,
          maxLatencyMs: config.batchMaxLatencyMs,
          stallMs: config.targetStallSeconds * 1000,
          maxQueuedBytes: config.targetQueueBytes,
          log: log.child({ service }),
          observer,
        }),
    ),
    router: (ports, signal) => new Router(routing, ports, log, signal, relations),
    stream: () => new ReplicationStream({ connectionString: config.legacyUrl, slot: config.slot, publication: config.publication }),
  };
}

/**
 * The composition root of `pgcarve run` (and of the demo, which runs the same in its process):
 * backfill, sidecar, metrics, source poller, continuous drift check and the HTTP API on
 * `config.httpPort`. Everything else receives what it needs from here.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, log } = options;
  const metrics = new PgcarveMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const backfill = new Backfill({ config, log, observer: options.backfillObserver ? combineObservers(options.backfillObserver, metrics.backfill) : metrics.backfill });
  let onStreaming: () => void = () => undefined;
  const streamingStarted = new Promise<void>((resolve) => (onStreaming = resolve));
  const sidecar = new Sidecar({
    config,
    parts: sidecarParts(config, options.mappings.routing, log, options.writerObserver ? writerObservers(metrics, options.writerObserver) : metrics),
    log,
    backfill,
    sealObserver: metrics,
    onPhase: (phase) => {
      if (phase === 'streaming') onStreaming();
    },
  });
  const poller = new SourcePoller({ legacyUrl: config.legacyUrl, slot: config.slot, intervalMs: options.pollIntervalMs ?? 2_000, onSourceLsn: (lsn) => sidecar.observeSourceLsn(lsn), onTables: (tables) => sidecar.observeSourceTables(tables), log });
  const verifier = new ContinuousVerifier({
    legacyUrl: config.legacyUrl,
    serviceUrls: config.serviceUrls,
    slot: config.slot,
    routing: sidecar.routing,
    intervalSeconds: config.driftIntervalSeconds,
    canRun: () => sidecar.phase === 'streaming',
    ...writerViews(sidecar.writers),
    observer: metrics,
    log,
  });
  // The reverse stream of every cut-over service (it reads each service's pgcarve.cutover).
  const reverse = new ReverseSupervisor({ config, inverses: options.mappings.inverses, log, observer: metrics });
  metrics.bind({ snapshot: () => sidecar.snapshot(), ready: () => sidecar.ready(), slot: () => poller.latest, tablesByService: sidecar.routing.tablesByService, reverse: () => reverse.snapshot() });
  metrics.bindLegacyTables(legacyTablesByService(sidecar.routing));

  const app = createApp({ ready: () => sidecar.ready(), routes: (a) => mountApi(a, sidecarApi({ config, sidecar, metrics, poller, verifier, reverse })) });
  const { server, port } = await listen(app, config.httpPort, options.httpHost ?? config.httpHost);

  const stopper = new AbortController();
  const running = sidecar.run(stopper.signal);
  const background = Promise.all([poller.run(stopper.signal), verifier.run(stopper.signal), reverse.run(stopper.signal)]);
  const streaming = Promise.race([streamingStarted, running.then(() => Promise.reject(new Error('the sidecar stopped before it streamed')))]);
  streaming.catch(() => undefined);
  running.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  return {
    sidecar,
    httpPort: port,
    streaming,
    finished: running,
    lastDrift: () => verifier.last,
    stop: () =>
      (stopping ??= (async () => {
        stopper.abort();
        await running.catch(() => undefined);
        await background.catch(() => undefined);
        await close(server);
      })()),
  };
}
