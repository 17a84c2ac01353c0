import { parseArgs } from 'node:util';
import { progressOutput } from '../backfill/progress-log.js';
import { startRuntime } from '../runtime.js';
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
    const runtime = await startRuntime({ config, log, backfillObserver: observer });
    log.info(`HTTP API listening on port ${runtime.httpPort}`, { port: runtime.httpPort });
    const stop = (): void => void runtime.stop();
    ctx.stopSignal.addEventListener('abort', stop, { once: true });
    if (ctx.stopSignal.aborted) stop();
    try {
      // Resolves once SIGTERM/SIGINT has drained the sidecar; rejects on a failure it cannot retry.
      await runtime.finished;
      log.info('stopped');
      return EXIT.ok;
    } finally {
      ctx.stopSignal.removeEventListener('abort', stop);
      await runtime.stop();
    }
  },
};
