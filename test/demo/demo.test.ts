import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SERVICES } from '../../mappings/services.js';
import { packageRoot } from '../../src/package-root.js';
import { processesMentioning } from '../harness/processes-mentioning.js';

test('pgcarve demo runs end to end and leaves nothing behind', async () => {
  const root = packageRoot();
  expect(existsSync(join(root, 'dist', 'tools', 'tool.js')), 'run `npm run build:tools` first (npm test does it in pretest)').toBe(true);
  const child = spawn(process.execPath, [join(root, 'dist', 'tools', 'tool.js'), 'demo', '--duration', '15', '--scale', '1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const context = `demo output:\n${output}`;

  expect(code, context).toBe(0);
  expect(output, context).toMatch(/backfill done in [\d.]+ s: 17 table copies, [\d,]+ rows into 5 service databases/);
  expect(output, context).toMatch(/^streaming: every legacy commit is applied/m);

  // The last periodic block before the rehearsal: every service streaming, lag near zero, no drift.
  const blocks = output.split(/^(?=\[\s*\d+s\] )/m).filter((b) => b.startsWith('['));
  const streaming = blocks.filter((b) => /^\[\s*\d+s\] streaming:/.test(b));
  expect(streaming.length, context).toBeGreaterThan(0);
  const last = streaming[streaming.length - 1] as string;
  for (const service of SERVICES) {
    const line = last.split('\n').find((l) => l.trim().startsWith(service));
    const match = /lag ([\d.]+) (B|kB|MB|GB) \/ ([\d.]+) s, [\d.]+ tx\/s, drift (.*?), rows:/.exec(line ?? '');
    expect(match, `${service} in:\n${last}`).not.toBeNull();
    const [, , unit, lagSeconds, drift] = match as unknown as [string, string, string, string, string];
    expect(['B', 'kB'], `${service} lag bytes`).toContain(unit);
    expect(Number(lagSeconds), `${service} lag seconds`).toBeLessThan(5);
    expect(drift, `${service} drift`).toMatch(/^0 rows/);
  }

  // The rehearsal: writes to document_db's legacy tables stopped, then the cutover runbook.
  expect(output, context).toMatch(/application writes stopped on legacy documents, template_submissions/);
  expect(output, context).toMatch(/ok\s+frozen\s+no change to documents, template_submissions in \d+ s: decoded the legacy WAL from /);
  expect(output, context).toMatch(/ok\s+sync\s+document_db has applied everything up to the fence/);
  expect(output, context).toMatch(/ok\s+verify\s+no drift in 5 tables/);
  expect(output, context).toMatch(/ok\s+sequences\s+3 sequence\(s\)/);
  expect(output, context).toMatch(/ok\s+still-frozen\s+no change to the legacy tables since the first check, with them locked/);
  expect(output, context).toMatch(/ok\s+record\s+sealed at [0-9A-F]+\/[0-9A-F]+/);
  // Then the service writes to its own database, the legacy tables follow, and the rollback loses nothing.
  expect(output, context).toMatch(/document_db wrote [1-9]\d* transactions to its own database; the legacy tables followed/);
  expect(output, context).toMatch(/ok\s+stopped\s+no row change in document_db between the fences/);
  expect(output, context).toMatch(/ok\s+verify\s+legacy rows mapped forward equal document_db's rows: no drift in 5 tables/);
  expect(output, context).toMatch(/ok\s+remove\s+reverse slot and publication/);
  expect(output, context).toMatch(/^\s*document_db is rolled back/m);
  expect(output, context).toMatch(/^cutover rehearsal succeeded: document_db was cut over, wrote to its own database, and was rolled back with nothing lost/m);
  expect(output, context).toMatch(/^demo succeeded$/m);

  const dir = /data directory (\S+)/.exec(output)?.[1];
  expect(dir, context).toBeDefined();
  expect(existsSync(dir as string), `${dir} left behind`).toBe(false);
  expect(processesMentioning(dir as string), 'postgres processes left behind').toEqual([]);
}, 120_000);
