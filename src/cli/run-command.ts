import { parseArgs } from 'node:util';
import { progressOutput } from './progress-log.js';
import { startRuntime } from '../runtime.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';
import { configHelp } from './config-help.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'the sidecar: backfill if needed, then stream legacy changes into the five service databases',
  usage: `Usage: pgcarve run

Checks the five service databases (reachable, migrated: otherwise run \`pgcarve migrate\`) and
the legacy server (wal_level, replication slots and connections, the role's REPLICATION),
ensures the publication (exactly the mapped legacy tables) and the replication slot, backfills
when needed, then streams every committed change through the mappings into the five service
databases, exactly once per database. The HTTP API (/healthz, /readyz, /metrics, /status, and with
PGCARVE_HTTP_TOKEN POST /fence and GET /sync) listens on PGCARVE_HTTP_HOST:PGCARVE_HTTP_PORT, bound
before anything else. When another pgcarve holds the slot, this one stands by (phase standby),
retrying, and takes over when the slot is released. SIGTERM or SIGINT drains: the in-flight batch
rolls back, positions are kept, exit 0.

Configuration (environment variables, or a JSON file named by PGCARVE_CONFIG_FILE):
${configHelp()}

Exit codes: 0 stopped by SIGTERM/SIGINT, 2 bad configuration or arguments, 3 an operator-facing
failure (a database unreachable or not migrated, a missing privilege or setting, the HTTP port
taken; the message says what to do), 70 internal error. The README's Troubleshooting section
lists every failure with its remedy.`,
  async run(ctx) {
    parseArgs({ args: [...ctx.args], options: {}, strict: true });
    const config = ctx.config();
    // On a terminal the backfill draws progress bars and the log lines go above them.
    const { log, observer } = progressOutput(process.stderr, config.logLevel);
    const runtime = await startRuntime({ config, mappings: ctx.mappings(), log, backfillObserver: observer });
    log.info(`HTTP API listening on port ${runtime.httpPort} of ${config.httpHost}`, { port: runtime.httpPort, host: config.httpHost });
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
