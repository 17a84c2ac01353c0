import { parseArgs } from 'node:util';
import { LEGACY_RULES } from '../../mappings/index.js';
import { close, createApp, listen } from '../http/http-server.js';
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
    const backfill = new Backfill({ config, log, observer });
    const sidecar = new Sidecar({ config, rules: LEGACY_RULES, log, backfill });
    const app = createApp({ ready: () => sidecar.ready() });
    const { server, port } = await listen(app, config.httpPort);
    log.info(`HTTP API listening on port ${port}`, { port });
    try {
      await sidecar.run(ctx.stopSignal);
      log.info('stopped');
      return EXIT.ok;
    } finally {
      await close(server);
    }
  },
};
