import { parseArgs } from 'node:util';
import { describeRollback, runRollback } from '../rollback/rollback.js';
import { SERVICES } from '../../mappings/services.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';
import { integerOption, requiredServiceOption } from './options.js';
import { parseTimeout } from './wait-sync-command.js';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'the rollback runbook for one cut-over service: stopped? drained into legacy? no drift? sequences; unsealed',
  usage: `Usage: pgcarve rollback --service NAME [--timeout SECONDS] [--window SECONDS] [--json]

Reverts a cut-over service to the legacy database without losing what it wrote since the cutover
(its reverse stream, run by pgcarve run, has been carrying its writes into the legacy tables).
Runs these steps and stops at the first that fails:
  cut-over       the service is cut over and has its reverse slot
  stopped        the service no longer writes, checked exactly: two fences in its WAL,
                 --window seconds apart (default 2), both applied by the reverse stream, and
                 no transaction with a row change between them
  drained        the legacy tables hold everything the service committed before the fence
  verify         the forward drift check is clean: legacy rows mapped forward equal the
                 service's rows
  sequences      every legacy sequence of its tables is set past the largest key
  still-stopped  a last fence: still no row change since the first
  unseal         the seal is lifted (a lift message the sidecar applies, then
                 pgcarve.cutover.rolled_back_at): pgcarve applies legacy changes to the
                 service database again, and drift checks include it
  remove         the reverse slot and publication are dropped
Then it prints a report (JSON with --json). Every step is safe to repeat: run it again after
fixing what a step reported. Stop the service's writes first, then point its application back
at the legacy database once the rollback succeeded.

Options:
  --service NAME      ${SERVICES.join(', ')}
  --timeout SECONDS   how long to wait for each fence and for the drift check (default 60)
  --window SECONDS    time between the two fences of 'stopped' (default 2)
  --json              print the report as JSON

Exit codes: 0 rolled back, 1 refused (not cut over, still writing, not drained, drift),
2 bad arguments or configuration, 3 a step could not be done (a database unreachable, …).`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      options: {
        service: { type: 'string' },
        timeout: { type: 'string' },
        window: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const service = requiredServiceOption(values.service);
    const timeoutSeconds = parseTimeout(values.timeout, 60);
    const windowSeconds = integerOption('window', values.window, 2, 0, 3_600);
    const report = await runRollback({ config: ctx.config(), routing: ctx.mappings().routing, service, timeoutSeconds, windowSeconds, signal: ctx.stopSignal });
    if (values.json) ctx.stdout(`${JSON.stringify(report)}\n`);
    else (report.ok ? ctx.stdout : ctx.stderr)(`${describeRollback(report)}\n`);
    if (report.ok) return EXIT.ok;
    return report.steps.some((s) => s.status === 'error') ? EXIT.failure : EXIT.notSatisfied;
  },
};
