import { parseArgs } from 'node:util';
import { describeCutover, runCutover } from '../cutover/cutover.js';
import { SERVICES } from '../../mappings/services.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';
import { integerOption, requiredServiceOption } from './options.js';
import { parseTimeout } from './wait-sync-command.js';

export const cutoverCommand: Command = {
  name: 'cutover',
  summary: "the cutover runbook for one service: frozen? fenced and applied? no drift? sequences set; a report",
  usage: `Usage: pgcarve cutover --service NAME [--timeout SECONDS] [--window SECONDS] [--assume-frozen] [--json]

Runs the cutover steps of one service database and stops at the first that fails:
  frozen        its legacy tables take no more writes: a fence, --window seconds (default 5),
                a second fence, and the legacy WAL between the two is decoded (a temporary
                logical slot of its own): any insert, update, delete or TRUNCATE of those
                tables refuses; --assume-frozen skips the scans when you know how the writes
                were stopped
  sync          the service applies the second fence (the sidecar must be running)
  verify        no table of the service is being re-copied or was left half re-copied by an
                interrupted \`pgcarve backfill\`, and a drift check of the service finds no
                missing, extra or different row
  sequences     every sequence of the service database is set past the largest key, so
                the service's own inserts do not collide with migrated rows
  still-frozen  with the legacy tables locked IN SHARE MODE (writers wait), the WAL from the
                second fence up to now holds no change to them
  record        in that same locked transaction, the seal: from its LSN on, no legacy change
                is ever applied to the service again (the sidecar counts and logs it instead:
                pgcarve_legacy_writes_after_cutover_total); pgcarve.cutover in the service
                database records it; \`pgcarve verify\` reports the service as sealed and
                \`pgcarve backfill\` refuses it
Then it prints a report (JSON with --json): what each step checked (LSN ranges, tables,
transactions decoded, changes found). Run it again after fixing what a step reported; every
step is safe to repeat.

Options:
  --service NAME      ${SERVICES.join(', ')}
  --timeout SECONDS   how long to wait for the fence and for the drift check (default 60)
  --window SECONDS    time between the two fences of the frozen check (default 5)
  --assume-frozen     do not scan the legacy WAL for writes (the seal still locks the tables)
  --json              print the report as JSON

Exit codes: 0 cut over, 1 refused (writes seen, not in sync, a repair unfinished, drift), 2 bad arguments or
configuration, 3 a step could not be done (a database unreachable, …).`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      options: {
        service: { type: 'string' },
        timeout: { type: 'string' },
        window: { type: 'string' },
        'assume-frozen': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const service = requiredServiceOption(values.service);
    const timeoutSeconds = parseTimeout(values.timeout, 60);
    const windowSeconds = integerOption('window', values.window, 5, 1, 3_600);
    const config = ctx.config();
    const report = await runCutover({
      config,
      routing: ctx.mappings().routing,
      inverses: ctx.mappings().inverses,
      service,
      timeoutSeconds,
      windowSeconds,
      assumeFrozen: values['assume-frozen'],
      signal: ctx.stopSignal,
    });
    if (values.json) ctx.stdout(`${JSON.stringify(report)}\n`);
    else (report.ok ? ctx.stdout : ctx.stderr)(`${describeCutover(report)}\n`);
    if (report.ok) return EXIT.ok;
    return report.steps.some((s) => s.status === 'error') ? EXIT.failure : EXIT.notSatisfied;
  },
};
