import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from '../bench/bench-report.js';
import { FULL_SIZES, QUICK_SIZES, runBench } from '../bench/run-bench.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { EXIT, type Command } from './command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark pgcarve against native logical replication, pg_recvlogical and pg_dump | psql on a throw-away PostgreSQL 15',
  usage: `Usage: pgcarve bench [--quick] [--scale N] [--json FILE]

Starts a throw-away PostgreSQL 15 (the pg15-binaries devDependency), seeds the legacy monolith,
and measures in the same run each pgcarve figure beside the tool a team would otherwise use:
  1. catch-up apply of a backlog          vs native logical replication (one subscription per service)
  2. decode ceiling (stream, no writes)   vs pg_recvlogical -f /dev/null
  3. backfill of the seeded tables        vs pg_dump --data-only | psql
  4. steady-state latency p50/p99         vs native logical replication
  5. peak RSS of \`pgcarve run\` during a large transaction and during backfill
  and the apply strategies of a batch of upserts (unnest arrays, multi-row VALUES, COPY).
Prints a table (median of the repetitions, min–max, ratio, goal) and writes it as JSON.
pg_dump, psql and pg_recvlogical come from /usr/lib/postgresql/15/bin; when missing, their
comparisons are skipped with the reason. Needs \`npm run build\` (the memory figures run the CLI).

Options:
  --quick        a smoke run of about a minute (small sizes)
  --scale N      size of the seeded legacy data (1 is about 3,700 rows; default 30, quick 2)
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
      command: ['pgcarve', 'bench', ...ctx.args].join(' '),
      jsonFile,
      progress: (line) => ctx.stderr(`${line}\n`),
    });
    ctx.stdout(`${formatReport(report)}\nJSON report: ${jsonFile}\n`);
    return report.rows.some((row) => row.error !== undefined) ? EXIT.failure : EXIT.ok;
  },
};
