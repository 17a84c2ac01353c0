import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT } from '../../src/errors/exit-codes.js';
import type { Command } from '../../src/cli/command.js';
import { PgcarveError } from '../../src/errors/pgcarve-error.js';
import { formatReport } from './bench-report.js';
import { FULL_SIZES, QUICK_SIZES, runBench } from './run-bench.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark pgcarve against native logical replication (one subscription, and one per service), pg_recvlogical and pg_dump | psql on a throw-away PostgreSQL 15',
  usage: `Usage: npm run bench -- [--quick] [--scale N] [--json FILE]

Starts a throw-away PostgreSQL 15 (the pg15-binaries devDependency), seeds the legacy monolith,
and measures in the same run each pgcarve figure beside the tool a team would otherwise use:
  1. catch-up of 40k small transactions  vs one native subscription into a 1:1 copy of the legacy
                                          tables (the limit) and native with one subscription per service
  2. catch-up of one 400k-row transaction vs one native subscription
  3. decode ceiling (stream, no writes)   vs pg_recvlogical -f /dev/null
  4. backfill of the seeded tables (~1M)  vs pg_dump --data-only | psql
  5. steady-state latency p50/p99 at 5k changes/s vs native logical replication
  6. peak RSS of \`pgcarve run\` through a 1M-change backlog (and a quarter of it) and the backfill
  and the apply strategies of a batch of upserts (unnest arrays, multi-row VALUES, COPY).
Each row carries its goal (issue 15) and whether it was met.
Prints a table (median of the repetitions, min–max, ratio, goal) and writes it as JSON.
pg_dump, psql and pg_recvlogical come from /usr/lib/postgresql/15/bin; when missing, their
comparisons are skipped with the reason. Needs \`npm run build\` (the memory figures run the CLI).

Options:
  --quick        a smoke run of a minute or two (small sizes)
  --scale N      size of the seeded legacy data (1 is about 3,400 rows; default 300, quick 2)
  --json FILE    where to write the JSON report (default bench-results/<timestamp>.json)`,
  async run(ctx) {
    const { values } = parseArgs({
      args: [...ctx.args],
      strict: true,
      options: { quick: { type: 'boolean', default: false }, scale: { type: 'string' }, json: { type: 'string' } },
    });
    const quick = values.quick === true;
    const base = quick ? QUICK_SIZES : FULL_SIZES;
    let scale = base.scale;
    if (values.scale !== undefined) {
      scale = Number(values.scale);
      if (!Number.isFinite(scale) || scale < 0.1 || scale > 1_000) throw new PgcarveError('bad_input', `--scale must be a number from 0.1 to 1000, got ${JSON.stringify(values.scale)}`);
    }
    const jsonFile = values.json ?? join('bench-results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const report = await runBench({
      mode: quick ? 'quick' : 'full',
      sizes: { ...base, scale },
      command: ['npm run bench', ...(ctx.args.length > 0 ? ['--', ...ctx.args] : [])].join(' '),
      jsonFile,
      progress: (line) => ctx.stderr(`${line}\n`),
    });
    ctx.stdout(`${formatReport(report)}\nJSON report: ${jsonFile}\n`);
    return report.rows.some((row) => row.error !== undefined) ? EXIT.failure : EXIT.ok;
  },
};
