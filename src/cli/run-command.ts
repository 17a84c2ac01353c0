import { parseArgs } from 'node:util';
import { LEGACY_RULES } from '../../mappings/index.js';
import { close, createApp, listen } from '../http/http-server.js';
import { mountApi } from '../http/api-routes.js';
import { sidecarApi } from '../http/sidecar-api.js';
import { PgcarveMetrics } from '../metrics/metrics.js';
import { SourcePoller } from '../metrics/source-poller.js';
import { ContinuousVerifier, writerViews } from '../verify/continuous-verifier.js';
import { combineObservers } from '../backfill/backfill-observer.js';
import { Backfill } from '../backfill/backfill.js';
import { progressOutput } from '../backfill/progress-log.js';
import { Sidecar } from '../sidecar.js';
import { EXIT, type Command } from './command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'the sidecar: backfill if needed, then stream legacy changes into the five service databases',
  usage: `Usage: pgcarve run

Ensures the publication (exactly the mapped legacy tables) and the replication slot exist, then
streams every committed change through the mappings into the five service databases, exactly once
per database. Serves /healthz, /readyz (and the rest of the HTTP API) on PGCARVE_HTTP_PORT.
SIGTERM or SIGINT drains: the in-flight batch rolls back, positions are kept, exit 0.`,
  async run(ctx) {
    parseArgs({ args: [...ctx.args], options: {}, strict: true });
    const config = ctx.config();
    // On a terminal the backfill draws progress bars and the log lines go above them.
    const { log, observer } = progressOutput(process.stderr, config.logLevel);
    const metrics = new PgcarveMetrics();
    const backfill = new Backfill({ config, log, observer: combineObservers(observer, metrics.backfill) });
    const sidecar = new Sidecar({ config, rules: LEGACY_RULES, log, backfill, observer: metrics });
    // Beside the sidecar: the legacy WAL position and slot state, and the continuous drift check.
    const poller = new SourcePoller({ legacyUrl: config.legacyUrl, slot: config.slot, onSourceLsn: (lsn) => sidecar.observeSourceLsn(lsn), log });
    metrics.bind({ snapshot: () => sidecar.snapshot(), ready: () => sidecar.ready(), slot: () => poller.latest, tablesByService: sidecar.routing.tablesByService });
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
    const app = createApp({ ready: () => sidecar.ready(), routes: (a) => mountApi(a, sidecarApi({ config, sidecar, metrics, poller, verifier })) });
    const { server, port } = await listen(app, config.httpPort);
    log.info(`HTTP API listening on port ${port}`, { port });
    const beside = new AbortController();
    const loops = [poller.run(beside.signal), verifier.run(beside.signal)];
    try {
      await sidecar.run(ctx.stopSignal);
      log.info('stopped');
      return EXIT.ok;
    } finally {
      beside.abort();
      await Promise.all(loops);
      await close(server);
    }
  },
};
