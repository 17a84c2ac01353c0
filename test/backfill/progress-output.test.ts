import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { allStates } from './backfill-fixture.js';
import { spawnPgcarve, type PgcarveProcess } from '../harness/pgcarve-process.js';
import { seedLegacy } from './seed-legacy.js';

/**
 * `pgcarve run` draws a progress bar per table when stderr is a terminal (here a pty from
 * `script`), and only structured log lines when it is not (CI, containers).
 */
const children: PgcarveProcess[] = [];
const databases: TestDatabases[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i += 1) {
    const dbs = await createTestDatabases();
    await seedLegacy(dbs.legacyUrl, 600);
    databases.push(dbs);
  }
});
afterAll(async () => {
  for (const child of children) await child.kill9();
  for (const dbs of databases) await dbs.drop();
});

/** Runs `pgcarve run` until every table is copied, then stops it; returns what it printed. */
async function backfillOutput(dbs: TestDatabases, tty: boolean): Promise<string> {
  const env = { ...dbs.env, PGCARVE_LOG_LEVEL: 'info', PGCARVE_BACKFILL_CONCURRENCY: '2' };
  const cli = `exec ${process.execPath} ${join(packageRoot(), 'bin', 'pgcarve.js')} run`;
  const child = spawnPgcarve(['run'], env, tty ? ['script', '-qefc', cli, '/dev/null'] : []);
  children.push(child);
  await waitFor('every table copied', async () => {
    const states = [...(await allStates(dbs)).values()];
    return states.length > 0 && states.every((s) => s.kind === 'copied');
  }, 40_000);
  await waitFor('the final drawing or log line', () => /phase: streaming/.test(child.output()), 10_000);
  await child.kill9();
  return child.output();
}

describe('backfill progress output', () => {
  it('draws bars redrawn in place on a terminal', async () => {
    const out = await backfillOutput(databases[0] as TestDatabases, true);
    expect(out).toMatch(/backfill: \d+\/17 tables done/);
    expect(out).toMatch(/documents → document_db +\[[█░]+\] /u);
    expect(out).toMatch(/activity_logs → scraper_db +\[█+\] done/u);
    expect(out).toContain('\u001b[2K'); // lines cleared and redrawn
    expect(out).toMatch(/\u001b\[\d+F/u); // cursor back up over the previous drawing
  });

  it('logs structured progress lines, and never a bar, when not on a terminal', async () => {
    const out = await backfillOutput(databases[1] as TestDatabases, false);
    expect(out).not.toMatch(/[█░]|\u001b\[/u);
    const records = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((r) => r.msg === 'backfill: documents → document_db done' && typeof r.rows_done === 'number')).toHaveLength(1);
    expect(records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('backfill: ') && r.state === 'copying')).toHaveLength(17);
  });
});
