import { parseArgs } from 'node:util';
import { describeFenceResult, emitFence, waitForFence } from '../fence.js';
import { formatLsn } from '../lsn.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';

/**
 * A `--timeout SECONDS` option: decimals allowed, at most a day; 0 ("check once, do not wait")
 * only where `allowZero` says so.
 */
export function parseTimeout(text: string | undefined, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds) || seconds > 86_400 || (seconds === 0 && !allowZero)) {
    const range = allowZero ? 'from 0 to 86400' : 'above 0, at most 86400';
    throw new PgcarveError('bad_input', `--timeout must be a number of seconds ${range}, got ${JSON.stringify(text)}`);
  }
  return seconds;
}

export const waitSyncCommand: Command = {
  name: 'wait-sync',
  summary: 'fence the legacy WAL and wait until every service has applied everything before it',
  usage: `Usage: pgcarve wait-sync [--timeout SECONDS] [--json]

Writes a fence (a transactional logical message) into the legacy WAL and waits until every
service database's checkpoint is at or past it: then everything the legacy database committed
before the fence is applied everywhere. Works from any process: it talks to the databases, not to
the sidecar. The sidecar must be running for the checkpoints to move.

Options:
  --timeout SECONDS   give up after this long, 0 to 86400 (default 60; 0 checks once without
                      waiting); exit 1 and say who is behind
  --json              print the result as JSON

Exit codes: 0 in sync, 1 timed out, 2 bad arguments or configuration, 3 a database unreachable.`,
  async run(ctx) {
    const { values } = parseArgs({ args: [...ctx.args], options: { timeout: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
    const timeout = parseTimeout(values.timeout, 60, true);
    const config = ctx.config();
    const fence = await emitFence(config.legacyUrl);
    const result = await waitForFence(config.serviceUrls, config.slot, fence, timeout * 1000, { signal: ctx.stopSignal });
    if (values.json) {
      ctx.stdout(
        `${JSON.stringify({
          inSync: result.reached,
          fenceLsn: formatLsn(result.fenceLsn),
          services: result.services.map((s) => ({ service: s.service, checkpoint: s.checkpoint === undefined ? null : formatLsn(s.checkpoint), behindBytes: s.behindBytes ?? null, ...(s.error ? { error: s.error } : {}) })),
        })}\n`,
      );
    } else {
      (result.reached ? ctx.stdout : ctx.stderr)(`${describeFenceResult(result)}\n`);
    }
    return result.reached ? EXIT.ok : EXIT.notSatisfied;
  },
};
