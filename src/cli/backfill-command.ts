import { parseArgs } from 'node:util';
import { progressOutput } from './progress-log.js';
import { cutOverRefusal, repair, type RepairScope } from '../backfill/repair.js';
import { repairScope } from '../backfill/repair-scope.js';
import { resync } from '../backfill/resync.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { SERVICES } from '../../mappings/services.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command, CommandContext } from './command.js';
import { parseTimeout } from './wait-sync-command.js';

export const backfillCommand: Command = {
  name: 'backfill',
  summary: "re-copy a service's or table's rows while streaming (repair, mapping change); --resync: on the next start",
  usage: `Usage: pgcarve backfill --service NAME [--table LEGACY_TABLE] [--chunk-rows N] [--timeout SECONDS] [--json]
       pgcarve backfill --table LEGACY_TABLE [...]
       pgcarve backfill --resync --table LEGACY_TABLE [--json]

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

--resync: the way out when a writer stopped on a change it can never map, such as one decoded
while a column the mapping reads was dropped (restoring the column does not change what the WAL
holds). Marks the table \`pending\` in every service database it feeds; the next start of
\`pgcarve run\` empties its owned target rows, copies it on a fresh snapshot and skips its changes
committed before that snapshot, the failing one with them, so the writer goes on. Works with the
sidecar stopped or running; a running sidecar acts on it only when restarted (restart the
process or pod). Refused while the mapping still reads a column the legacy table lacks (add the
column back first) and for a service that was cut over.

Options:
  --service NAME        ${SERVICES.join(' | ')}
  --table LEGACY_TABLE  only this legacy table (with --service: only its rows in that service)
  --chunk-rows N        legacy rows per chunk (1 to 100000, default 1000)
  --timeout SECONDS     how long to wait for the sidecar to apply the chunks (default 600)
  --resync              copy the table again on the next start of \`pgcarve run\` (see above)
  --json                print the result as JSON

A cut-over service (pgcarve.cutover) is refused: its database is the source of truth.
A repair that does not finish (SIGTERM/SIGINT, the timeout, the sidecar stopped) leaves the table
\`repair-interrupted\`: verify, status and cutover treat it as not verified until the same
command is run again and finishes it.

Exit codes: 0 re-copied and applied, 1 sent but not applied within the timeout (the sidecar
applies them when it runs; run it again to mark the table verified), or a cut-over service,
2 bad arguments or configuration, or a table whose initial copy by \`pgcarve run\` is
unfinished (run resumes it itself), 3 a database unreachable, 130 stopped by SIGTERM/SIGINT.
With --resync: 0 marked, 2 bad arguments or a service that was cut over, 3 the mapping reads a
column the legacy table lacks, or a database unreachable.`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      options: {
        service: { type: 'string' },
        table: { type: 'string' },
        'chunk-rows': { type: 'string' },
        timeout: { type: 'string' },
        resync: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.resync) return await runResync(ctx, values);
    const chunkText = values['chunk-rows'];
    const chunkRows = chunkText === undefined ? 1_000 : Number(chunkText);
    if (!/^\d+$/.test(chunkText ?? '1') || !Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 100_000) {
      throw new PgcarveError('bad_input', `--chunk-rows must be a whole number from 1 to 100000, got ${JSON.stringify(chunkText)}`);
    }
    const timeout = parseTimeout(values.timeout, 600);
    const routing = ctx.mappings().routing;
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

/** `--resync --table T`: marks T to be copied again by the next `pgcarve run` (backfill/resync.ts). */
async function runResync(ctx: CommandContext, values: { readonly service?: string | undefined; readonly table?: string | undefined; readonly 'chunk-rows'?: string | undefined; readonly timeout?: string | undefined; readonly json: boolean }): Promise<number> {
  if (values.table === undefined) throw new PgcarveError('bad_input', '--resync needs --table LEGACY_TABLE: the legacy table to copy again');
  if (values.service !== undefined) throw new PgcarveError('bad_input', '--resync copies the table again in every service it feeds (one mapping run derives them all); drop --service');
  if (values['chunk-rows'] !== undefined || values.timeout !== undefined) throw new PgcarveError('bad_input', '--resync takes no --chunk-rows or --timeout: the copy happens when `pgcarve run` next starts');
  const routing = ctx.mappings().routing;
  const [scope] = repairScope(routing, undefined, values.table);
  const report = await resync({ config: ctx.config(), routing, table: (scope as RepairScope).table });
  if (values.json) {
    ctx.stdout(`${JSON.stringify(report)}\n`);
  } else {
    ctx.stdout(`${report.table} → ${report.services.join(', ')}: marked to be copied again on a fresh snapshot when \`pgcarve run\` next starts; its changes before that snapshot are skipped there\n`);
    ctx.stdout(report.slotActive ? 'a sidecar is streaming the slot now: restart it (the process or pod) for the copy to happen\n' : 'start `pgcarve run` now (the sidecar is not streaming the slot)\n');
  }
  return EXIT.ok;
}
