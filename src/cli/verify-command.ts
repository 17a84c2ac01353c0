import { parseArgs } from 'node:util';
import { SERVICES } from '../../mappings/services.js';
import { describeDriftReport, hasDrift, incomplete } from '../verify/drift-report.js';
import { verifyDrift } from '../verify/drift-verifier.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';
import { OptionProblems, integerOption, serviceOption } from './options.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'compare every service database with the legacy database through the mappings; exit 1 on drift',
  usage: `Usage: pgcarve verify [--service NAME] [--json] [--chunk-size N] [--pause-ms MS] [--wait-timeout SECONDS] [--samples N]

Reads every mapped legacy table in key order, in short chunks, maps the rows with the same
mapping functions as streaming, and compares them with the service databases (PostgreSQL compares
the typed values). Safe while the sidecar streams and the legacy database takes writes: a
difference counts as drift only if it is still there after the service has applied past the
position the legacy chunk was read at, and the legacy row did not change meanwhile. Reference rows
are checked for presence only.

Options:
  --service NAME          check one service database (${SERVICES.join(', ')})
  --json                  print the full report as JSON
  --chunk-size N          legacy rows per chunk (default 500)
  --pause-ms MS           pause between chunks, to spare the legacy database (default 0)
  --wait-timeout SECONDS  how long to wait for a service to catch up with a chunk (default 30)
  --samples N             sample keys shown per drifted table (default 5)

Exit codes: 0 no drift, 1 drift (every drifted service and table is named, with counts and sample
keys), 2 bad arguments or configuration, 3 could not verify (a service behind or stopped, a
database unreachable) and no drift found elsewhere.`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      options: {
        service: { type: 'string' },
        json: { type: 'boolean', default: false },
        'chunk-size': { type: 'string' },
        'pause-ms': { type: 'string' },
        'wait-timeout': { type: 'string' },
        samples: { type: 'string' },
      },
      strict: true,
    });
    const problems = new OptionProblems();
    const service = problems.take(() => serviceOption(values.service), undefined);
    const chunkSize = problems.take(() => integerOption('chunk-size', values['chunk-size'], 500, 1, 100_000), 500);
    const pauseMs = problems.take(() => integerOption('pause-ms', values['pause-ms'], 0, 0, 60_000), 0);
    const waitTimeout = problems.take(() => integerOption('wait-timeout', values['wait-timeout'], 30, 0, 86_400), 30);
    const sampleKeys = problems.take(() => integerOption('samples', values.samples, 5, 0, 1_000), 5);
    problems.throwIfAny();
    const config = ctx.config();
    const report = await verifyDrift({
      legacyUrl: config.legacyUrl,
      serviceUrls: config.serviceUrls,
      slot: config.slot,
      routing: ctx.mappings().routing,
      ...(service ? { services: [service] } : {}),
      chunkSize,
      pauseMs,
      waitTimeoutMs: waitTimeout * 1000,
      sampleKeys,
      signal: ctx.stopSignal,
    });
    const drift = hasDrift(report);
    const code = drift ? EXIT.notSatisfied : incomplete(report) ? EXIT.failure : EXIT.ok;
    if (values.json) ctx.stdout(`${JSON.stringify({ drift, complete: !incomplete(report), ...report })}\n`);
    else (code === EXIT.ok ? ctx.stdout : ctx.stderr)(`${describeDriftReport(report)}\n`);
    return code;
  },
};
