import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { findClientTools } from '../../tools/bench/bench-cluster.js';
import { quantile, summarize } from '../../tools/bench/sample-stats.js';

test.each([
  { samples: [3], median: 3, min: 3, max: 3 },
  { samples: [5, 1, 3], median: 3, min: 1, max: 5 },
  { samples: [4, 1, 3, 2], median: 2.5, min: 1, max: 4 },
])('summarize($samples)', ({ samples, median, min, max }) => {
  expect(summarize(samples)).toEqual({ median, min, max, samples });
});

test('quantile by nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  expect(quantile(values, 0.5)).toBe(50);
  expect(quantile(values, 0.99)).toBe(99);
  expect(quantile([7], 0.99)).toBe(7);
});

test('missing client tools are reported with the majors found and what to install', () => {
  const root = mkdtempSync(join(tmpdir(), 'pgcarve-tools-'));
  try {
    const tools = findClientTools(15, root);
    expect(tools.kind).toBe('missing');
    if (tools.kind === 'missing') expect(tools.reason).toMatch(/pg_dump, psql, pg_recvlogical not found .*install postgresql-client-15/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
