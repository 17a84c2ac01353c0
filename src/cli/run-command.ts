import { parseArgs } from 'node:util';
import { LEGACY_RULES } from '../../mappings/index.js';
import { close, createApp, listen } from '../http/http-server.js';
import { createLogger } from '../log.js';
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
    const log = createLogger(config.logLevel);
    const sidecar = new Sidecar({ config, rules: LEGACY_RULES, log });
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
