import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { BENCH_ROWS, formatReport, type BenchReport } from '../../tools/bench/bench-report.js';
import { QUICK_SIZES, runBench } from '../../tools/bench/run-bench.js';
import { packageRoot } from '../../src/package-root.js';

// Shape only: every figure is measured and reported. Speed is never asserted here (`npm run bench`).
test('the benchmark reports every row, in the table and in the JSON, with tiny sizes', async () => {
  expect(existsSync(join(packageRoot(), 'dist', 'src', 'cli', 'main.js')), 'run `npm run build` first (npm test does it in pretest)').toBe(true);
  const dir = mkdtempSync(join(tmpdir(), 'pgcarve-bench-test-'));
  try {
    const jsonFile = join(dir, 'report.json');
    const progress: string[] = [];
    const report = await runBench({
      mode: 'quick',
      sizes: { ...QUICK_SIZES, scale: 0.3, smallTransactions: 50, largeTransactionRows: 500, catchUpRepetitions: 1, backfillRepetitions: 1, latencySeconds: 1, latencyChangesPerSecond: 500, memoryBacklogChanges: 1_000, applyBatchRows: 100, applyRepetitions: 1 },
      command: 'pgcarve bench (test)',
      jsonFile,
      progress: (line) => progress.push(line),
    });
    const context = `progress:\n${progress.join('\n')}`;
    expect(report.rows.map((r) => r.name), context).toEqual([...BENCH_ROWS]);
    for (const row of report.rows) {
      expect(row.error, `${row.name}: ${context}`).toBeUndefined();
      expect(row.pgcarve?.median, row.name).toBeGreaterThan(0);
    }
    // The alternatives ran too (or say why they could not).
    for (const name of ['catch-up: small transactions vs one native subscription', 'catch-up: small transactions vs native per service', 'catch-up: one large transaction vs one native subscription', 'decode ceiling', 'backfill', 'latency p99'] as const) {
      const alternative = report.rows.find((r) => r.name === name)?.alternative;
      expect(alternative?.stats !== undefined || alternative?.missing !== undefined, name).toBe(true);
    }
    const table = formatReport(report);
    for (const name of BENCH_ROWS) expect(table).toContain(name);
    const written = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchReport;
    expect(written.rows.map((r) => r.name)).toEqual([...BENCH_ROWS]);
    expect(written.machine.postgres).toMatch(/^PostgreSQL 15\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
