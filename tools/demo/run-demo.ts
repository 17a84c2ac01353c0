import { LEGACY_TABLES, legacySchemaSql } from '../../mappings/legacy/schema.js';
import { loadConfig } from '../../src/config/config.js';
import { SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import { redactUrl } from '../../src/config/redact.js';
import { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { createLogger } from '../../src/log.js';
import { migrateAll } from '../../src/migrate/migrate-services.js';
import { serviceDriftRows, type DriftReport } from '../../src/verify/drift-report.js';
import { startWorkload, type Workload } from '../workload/live-workload.js';
import { seedLegacy } from '../workload/seed.js';
import { BackfillTally } from './backfill-tally.js';
import { describeRehearsal, rehearseCutover } from './cutover-rehearsal.js';
import { INVERSE_MAPPINGS, LEGACY_RULES } from '../../mappings/index.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { startRuntime, type Mappings, type Runtime } from '../../src/runtime.js';
import { waitForKey, type KeyInput } from './key-press.js';
import { formatCount, LiveView, type DemoFrame, type DriftCell, type ViewStream } from './live-view.js';
import { RateMeter } from './rate-meter.js';
import { TargetRowCounts } from './target-row-counts.js';
import { withClient } from '../../src/pg/with-client.js';

export interface DemoOptions {
  /** Size of the generated legacy data (seedLegacy's scale). */
  readonly scale: number;
  readonly seed: number;
  /** Seconds of streaming under the live workload before the cutover rehearsal; undefined: until a key press. */
  readonly durationSeconds: number | undefined;
  /** Legacy transactions per second of the live workload. */
  readonly ratePerSecond: number;
  /** The service whose cutover is rehearsed. */
  readonly service: ServiceName;
  /** Leave PostgreSQL running with its data at the end, and print the connection URLs. */
  readonly keep: boolean;
  /** Port of the HTTP API (0: any free port). */
  readonly httpPort: number;
  /** Pause between continuous drift-check passes. */
  readonly driftIntervalSeconds: number;
}

export interface DemoIo {
  readonly out: ViewStream;
  /** A terminal's stdin for the key press; undefined or not a TTY: --duration only. */
  readonly input: KeyInput | undefined;
  /** Ctrl-C / SIGTERM: stop cleanly without the rehearsal. */
  readonly signal: AbortSignal;
}

const SLOT = 'pgcarve_demo';
const SYNC_TIMEOUT_SECONDS = 60;
/** How long the cut-over service writes to its own database in the rehearsal. */
const SERVICE_WRITE_SECONDS = 3;

/** How long the rehearsal watches the frozen legacy tables for writes. */
const FROZEN_WINDOW_SECONDS = 2;

type End = 'duration' | 'key' | 'interrupt';

const DEMO_PURPOSE = { doing: 'setting up the demo databases' } as const;

function seconds(fromMs: number): string {
  return `${((Date.now() - fromMs) / 1000).toFixed(1)} s`;
}

/** Rejects with an 'interrupted' error as soon as `signal` aborts. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new Interrupted());
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

function driftCell(report: DriftReport | undefined, service: ServiceName): DriftCell {
  const own = report?.services.find((s) => s.service === service);
  if (!report || !own) return { kind: 'not-checked' };
  switch (own.outcome.kind) {
    case 'verified': {
      const rows = serviceDriftRows(own);
      return rows > 0 ? { kind: 'drift', rows } : { kind: 'clean', ageSeconds: (Date.now() - Date.parse(report.finishedAt)) / 1000 };
    }
    case 'skipped':
    case 'sealed':
      return { kind: 'not-checked' };
    default:
      return { kind: 'incomplete', reason: own.outcome.reason };
  }
}

/**
 * `pgcarve demo`: the whole migration on an embedded PostgreSQL. Starts a throw-away cluster,
 * creates and fills the legacy monolith, migrates the five service databases, runs the sidecar
 * (backfill, then streaming) with its HTTP API while a live workload writes to the legacy
 * database, shows what happens, then rehearses the cutover of one service. Everything it started
 * is stopped and removed at the end, also on Ctrl-C or a failure (unless `keep`).
 * Returns true when every step succeeded.
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<boolean> {
  const startedAt = Date.now();
  // The demo is an entry point of its own: it loads the mappings once, as the CLI's main does.
  const mappings: Mappings = { routing: new RoutingTable(LEGACY_RULES), inverses: INVERSE_MAPPINGS };
  const view = new LiveView(io.out);
  const interactive = io.out.isTTY === true && io.input?.isTTY === true;
  const tally = new BackfillTally();
  const legacyRate = new RateMeter();
  const serviceRates = new Map(SERVICES.map((s) => [s, new RateMeter()]));
  let warnings = 0;
  let lastWarning: string | undefined;
  const seenWarnings = new Set<string>();
  const warn = (message: string): void => {
    warnings += 1;
    lastWarning = message;
    if (!seenWarnings.has(message) && seenWarnings.size < 20) {
      seenWarnings.add(message);
      if (!view.tty) view.event(`warning: ${message}`);
    }
  };
  const log = createLogger('warn', (line) => {
    try {
      warn(String((JSON.parse(line) as { msg?: unknown }).msg ?? line.trim()));
    } catch {
      warn(line.trim());
    }
  });

  let cluster: EmbeddedCluster | undefined;
  let workload: Workload | undefined;
  let pipeline: Runtime | undefined;
  let counts: TargetRowCounts | undefined;
  let refresh: NodeJS.Timeout | undefined;
  let stage = 'starting';
  let frozen: readonly string[] = [];
  let ok = false;
  let interrupted = false;

  const frame = (): DemoFrame => {
    const snapshot = pipeline?.sidecar.snapshot();
    const stats = workload?.stats();
    if (stats) legacyRate.observeTotal(stats.transactions);
    return {
      elapsedSeconds: (Date.now() - startedAt) / 1000,
      stage,
      legacy: { tps: legacyRate.rate(), transactions: stats?.transactions ?? 0, errors: stats?.errors ?? 0, frozenTables: frozen },
      backfill: tally.frames(),
      services: (snapshot?.services ?? []).map((s) => ({
        service: s.service,
        state: s.state.kind === 'stopped' ? `stopped: ${s.state.error.kind}` : s.state.kind,
        lagBytes: s.lagBytes,
        lagSeconds: s.lagSeconds,
        tps: serviceRates.get(s.service)?.rate() ?? 0,
        rows: counts?.latest.get(s.service),
        drift: driftCell(pipeline?.lastDrift(), s.service),
      })),
      warnings,
      lastWarning,
      hint: interactive ? (stage === 'streaming' ? 'press any key for the cutover rehearsal, Ctrl-C to stop' : 'Ctrl-C to stop') : undefined,
    };
  };

  try {
    view.event(`pgcarve demo: carving the legacy monolith into ${SERVICES.length} service databases on an embedded PostgreSQL`);
    // Not raced with Ctrl-C: a cluster half created would be left to the exit hook.
    cluster = await EmbeddedCluster.create({ name: 'demo' });
    if (io.signal.aborted) throw new Interrupted();
    view.event(`PostgreSQL started on 127.0.0.1:${cluster.port} (wal_level=logical); data directory ${cluster.dir}`);

    stage = 'seeding';
    const legacyUrl = cluster.url('legacy');
    const seedStart = Date.now();
    await withClient(cluster.url(), DEMO_PURPOSE, (c) => c.query('CREATE DATABASE legacy'));
    const seeded = await unlessAborted(withClient(legacyUrl, DEMO_PURPOSE, async (c) => {
      await c.query(legacySchemaSql());
      return await seedLegacy(c, { scale: options.scale, seed: options.seed });
    }), io.signal);
    const seededRows = Object.values(seeded.rows).reduce((a, b) => a + b, 0);
    view.event(`legacy database: ${LEGACY_TABLES.length} tables, ${formatCount(seededRows)} rows generated (scale ${options.scale}) in ${seconds(seedStart)}`);

    stage = 'migrate';
    const serviceUrls = Object.fromEntries(SERVICES.map((s) => [s, cluster?.url(s) ?? ''])) as Record<ServiceName, string>;
    for (const result of await migrateAll(serviceUrls)) {
      if ('error' in result) throw result.error;
      view.event(`migrate ${result.service}: ${result.migrationsApplied} migration(s) applied, at the latest`);
    }

    const env: Record<string, string> = {
      DATABASE_URL_LEGACY: legacyUrl,
      PGCARVE_SLOT: SLOT,
      PGCARVE_PUBLICATION: SLOT,
      PGCARVE_HTTP_PORT: String(options.httpPort),
      PGCARVE_LOG_LEVEL: 'warn',
      PGCARVE_DRIFT_INTERVAL_SECONDS: String(options.driftIntervalSeconds),
    };
    for (const service of SERVICES) env[SERVICE_URL_KEYS[service]] = serviceUrls[service];
    const config = loadConfig(env);

    // The application keeps writing while the sidecar backfills: the copy must miss nothing.
    workload = startWorkload(legacyUrl, {
      ratePerSecond: options.ratePerSecond,
      connections: 2,
      seed: options.seed,
      onError: (e) => warn(`workload: ${e.action} failed${e.code ? ` (SQLSTATE ${e.code})` : ''}: ${e.message}`),
    });
    view.event(`live workload started: ~${options.ratePerSecond} legacy transactions/s (sign-ups, logins, documents, templates, chats, scraper runs, …)`);

    stage = 'backfill';
    const backfillStart = Date.now();
    pipeline = await startRuntime({
      mappings,
      config,
      log,
      backfillObserver: tally,
      writerObserver: {
        batchCommitted: (service, info) => serviceRates.get(service)?.add(info.transactions),
        error: () => undefined,
        stateChanged: () => undefined,
      },
      // The demo's own API is for this machine only, its metrics are the engine's alone.
      httpHost: '127.0.0.1',
      defaultMetrics: false,
      pollIntervalMs: 1_000,
    });
    const api = `http://127.0.0.1:${pipeline.httpPort}`;
    view.event(`sidecar started: slot ${SLOT}; HTTP API on ${api} (${api}/status, ${api}/metrics)`);
    counts = new TargetRowCounts(serviceUrls, pipeline.sidecar.routing.tablesByService);
    let ticks = 0;
    const backfilled = new Set<ServiceName>();
    refresh = setInterval(() => {
      ticks += 1;
      if (ticks % 4 === 0) void counts?.refresh();
      for (const b of tally.frames()) {
        if (b.tables === 0 || b.tablesDone < b.tables || backfilled.has(b.service)) continue;
        backfilled.add(b.service);
        view.event(`backfill ${b.service}: ${b.tables} tables, ${formatCount(b.rowsDone)} rows copied`);
      }
      view.update(frame());
    }, 500);

    await unlessAborted(pipeline.streaming, io.signal);
    const copied = tally.frames();
    view.event(`backfill done in ${seconds(backfillStart)}: ${copied.reduce((n, b) => n + b.tables, 0)} table copies, ${formatCount(copied.reduce((n, b) => n + b.rowsDone, 0))} rows into ${copied.length} service databases, under live writes`);
    stage = 'streaming';
    view.event(`streaming: every legacy commit is applied to the service databases${options.durationSeconds !== undefined ? ` (cutover rehearsal in ${options.durationSeconds} s)` : ''}`);
    await counts.refresh();

    const end = await waitForEnd(options.durationSeconds, interactive ? io.input : undefined, io.signal, pipeline.finished);
    if (end === 'interrupt') throw new Interrupted();

    stage = `cutover rehearsal (${options.service})`;
    view.event(`${options.durationSeconds !== undefined && end === 'duration' ? `${options.durationSeconds} s of streaming done` : 'key pressed'}: cutover rehearsal for ${options.service}`);
    const running = workload;
    const report = await unlessAborted(rehearseCutover({
      config,
      routing: pipeline.sidecar.routing,
      inverses: mappings.inverses,
      service: options.service,
      stopWrites: async (tables) => {
        frozen = tables;
        await running.restrict(LEGACY_TABLES.filter((t) => !tables.includes(t)));
      },
      resumeWrites: async () => {
        frozen = [];
        await running.restrict(undefined);
      },
      serviceWriteSeconds: SERVICE_WRITE_SECONDS,
      timeoutSeconds: SYNC_TIMEOUT_SECONDS,
      windowSeconds: FROZEN_WINDOW_SECONDS,
      signal: io.signal,
    }), io.signal);
    await counts.refresh();
    clearInterval(refresh);
    refresh = undefined;
    stage = 'rehearsal done';
    view.close(frame());
    for (const line of describeRehearsal(report)) io.out.write(`${line}\n`);
    const stopped = pipeline.sidecar.snapshot().services.filter((s) => s.state.kind === 'stopped').map((s) => s.service);
    if (stopped.length > 0) io.out.write(`writers stopped on a failure: ${stopped.join(', ')} (see the warnings above)\n`);
    const drifted = (pipeline.lastDrift()?.services ?? []).filter((s) => serviceDriftRows(s) > 0).map((s) => s.service);
    if (drifted.length > 0) io.out.write(`the last continuous drift check found drift in ${drifted.join(', ')}\n`);
    ok = report.ok && stopped.length === 0 && drifted.length === 0;
  } catch (error) {
    if (refresh) clearInterval(refresh);
    refresh = undefined;
    view.close();
    interrupted = error instanceof Interrupted;
    if (interrupted) io.out.write('interrupted: stopping without the cutover rehearsal\n');
    else io.out.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    ok = false;
  } finally {
    if (refresh) clearInterval(refresh);
    const stopStart = Date.now();
    const stats = await workload?.stop();
    await pipeline?.stop();
    await counts?.close();
    if (stats) io.out.write(`live workload: ${formatCount(stats.transactions)} transactions in ${(stats.elapsedMs / 1000).toFixed(0)} s, ${stats.retries} retried after a deadlock, ${stats.errors} failed\n`);
    if (cluster && options.keep) {
      const pid = cluster.detach();
      io.out.write(`kept: PostgreSQL keeps running (pid ${pid ?? '?'}) with its data in ${cluster.dir}. Look around with:\n`);
      io.out.write(`  psql ${redactUrl(cluster.url('legacy'))}\n`);
      for (const service of SERVICES) io.out.write(`  psql ${redactUrl(cluster.url(service))}\n`);
      io.out.write(`When done: kill ${pid ?? '<pid>'} && rm -rf ${cluster.dir}\n`);
    } else if (cluster) {
      await cluster.destroy();
      io.out.write(`stopped in ${seconds(stopStart)}: sidecar, workload and PostgreSQL; ${cluster.dir} removed\n`);
    }
  }
  io.out.write(ok ? 'demo succeeded\n' : interrupted ? 'demo interrupted\n' : 'demo did not succeed\n');
  return ok;
}

/** How the streaming part ends: its duration passes, a key is pressed, Ctrl-C, or the sidecar fails. */
async function waitForEnd(durationSeconds: number | undefined, input: KeyInput | undefined, signal: AbortSignal, finished: Promise<void>): Promise<End> {
  const done = new AbortController();
  const onAbort = (): void => done.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const waits: Promise<End>[] = [
      new Promise((resolve) => done.signal.addEventListener('abort', () => resolve(signal.aborted ? 'interrupt' : 'duration'), { once: true })),
      finished.then(() => 'interrupt' as const, (error: unknown) => Promise.reject(error)),
    ];
    if (durationSeconds !== undefined) {
      waits.push(new Promise((resolve) => {
        const timer = setTimeout(() => resolve('duration'), durationSeconds * 1000);
        done.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
      }));
    }
    if (input) waits.push(waitForKey(input, done.signal).then((k) => (k === 'key' ? 'key' : 'interrupt')));
    return await Promise.race(waits);
  } finally {
    signal.removeEventListener('abort', onAbort);
    done.abort();
  }
}
