import { parseArgs } from 'node:util';
import { LEGACY_RULES } from '../../mappings/index.js';
import { progressOutput } from '../backfill/progress-log.js';
import { cutOverRefusal, repair, type RepairScope } from '../backfill/repair.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { RoutingTable } from '../router/routing-table.js';
import { isServiceName, SERVICES, type ServiceName } from '../router/service.js';
import { EXIT, type Command } from './command.js';
import { parseTimeout } from './wait-sync-command.js';

/** The tables and services `--service` / `--table` name, checked against the mappings. */
export function repairScope(routing: RoutingTable, service: string | undefined, table: string | undefined): readonly RepairScope[] {
  if (service === undefined && table === undefined) throw new PgcarveError('bad_input', 'name what to re-copy: --service NAME, --table LEGACY_TABLE, or both');
  if (service !== undefined && !isServiceName(service)) throw new PgcarveError('bad_input', `--service must be one of ${SERVICES.join(', ')}, got ${JSON.stringify(service)}`);
  if (table !== undefined) {
    const routed = routing.bySource.get(table);
    if (!routed) {
      const why = routing.excluded.get(table);
      throw new PgcarveError('bad_input', why ? `legacy table ${table} is not migrated (${why})` : `no mapping reads legacy table ${JSON.stringify(table)}; mapped tables: ${routing.mappedSources().join(', ')}`);
    }
    const services = service === undefined ? routed.services : routed.services.filter((s) => s === service);
    if (services.length === 0) throw new PgcarveError('bad_input', `legacy table ${table} writes to ${routed.services.join(', ')}, not to ${service}`);
    return [{ table, services }];
  }
  const name = service as ServiceName;
  return [...routing.bySource].filter(([, routed]) => routed.services.includes(name)).map(([source]) => ({ table: source, services: [name] }));
}

export const backfillCommand: Command = {
  name: 'backfill',
  summary: "re-copy one service's or one table's rows while the sidecar streams (repair drift, or after a mapping change)",
  usage: `Usage: pgcarve backfill --service NAME [--table LEGACY_TABLE] [--chunk-rows N] [--timeout SECONDS] [--json]
       pgcarve backfill --table LEGACY_TABLE [...]

Re-copies the legacy rows of one table (or of every table that writes to one service) through the
mappings into the service database(s), while \`pgcarve run\` keeps streaming: missing rows come
back, different rows are overwritten, and owned rows whose legacy row is gone (or no longer
produces them) are deleted. Reference rows are ensured, never updated or deleted.

The table is read in key-ordered chunks of N rows (default 1000), each in a short transaction
that locks the table in SHARE mode for the read (writers of that table wait for one chunk read,
milliseconds) and sends the chunk through the legacy WAL; the running sidecar applies it at
exactly that point of the stream. No snapshot is held between chunks. When every chunk is sent,
waits (default 600 s) until the sidecar has applied them.

Progress: a bar per table on a terminal, structured log lines otherwise (PGCARVE_LOG_LEVEL=info).

Options:
  --service NAME        ${SERVICES.join(' | ')}
  --table LEGACY_TABLE  only this legacy table (with --service: only its rows in that service)
  --chunk-rows N        legacy rows per chunk (1 to 100000, default 1000)
  --timeout SECONDS     how long to wait for the sidecar to apply the chunks (default 600)
  --json                print the result as JSON

A cut-over service (pgcarve.cutover) is refused: its database is the source of truth.
A repair that does not finish (SIGTERM/SIGINT, the timeout, the sidecar stopped) leaves the table
\`repair-interrupted\`: verify, status and cutover treat it as not verified until the same
command is run again and finishes it.

Exit codes: 0 re-copied and applied, 1 sent but not applied within the timeout (the sidecar
applies them when it runs; run it again to mark the table verified), or a cut-over service,
2 bad arguments or configuration, or a table whose initial copy by \`pgcarve run\` is
unfinished (run resumes it itself), 3 a database unreachable, 130 stopped by SIGTERM/SIGINT.`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      options: { service: { type: 'string' }, table: { type: 'string' }, 'chunk-rows': { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const chunkText = values['chunk-rows'];
    const chunkRows = chunkText === undefined ? 1_000 : Number(chunkText);
    if (!/^\d+$/.test(chunkText ?? '1') || !Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 100_000) {
      throw new PgcarveError('bad_input', `--chunk-rows must be a whole number from 1 to 100000, got ${JSON.stringify(chunkText)}`);
    }
    const timeout = parseTimeout(values.timeout, 600);
    const routing = new RoutingTable(LEGACY_RULES);
    const scope = repairScope(routing, values.service, values.table);
    const config = ctx.config();
    const { log, observer } = progressOutput(process.stderr, config.logLevel);
    const refusal = await cutOverRefusal(config, scope);
    if (refusal !== undefined) {
      ctx.stderr(`pgcarve backfill: ${refusal}\n`);
      return EXIT.notSatisfied;
    }
    const reports = await repair({ config, routing, scope, chunkRows, timeoutMs: timeout * 1000, observer, log, signal: ctx.stopSignal });
    const applied = reports.every((r) => r.applied);
    if (values.json) {
      ctx.stdout(`${JSON.stringify({ applied, tables: reports })}\n`);
    } else {
      for (const r of reports) {
        ctx.stdout(
          `${r.table} → ${r.services.join(', ')}: ${r.rows} rows in ${r.chunks} chunk(s), ${r.extraRows} extra target row(s) deleted, ${r.applied ? 'applied' : 'NOT yet applied (is `pgcarve run` streaming?)'}\n`,
        );
      }
    }
    const stopped = reports.find((r) => r.interrupted);
    if (stopped) {
      ctx.stderr(`pgcarve backfill: stopped by a signal before ${stopped.table} was re-copied and applied in ${stopped.services.join(', ')}; it is left repair-interrupted (not verified: cutover refuses it). Run the same command again to finish it.\n`);
      return EXIT.interrupted;
    }
    return applied ? EXIT.ok : EXIT.notSatisfied;
  },
};
