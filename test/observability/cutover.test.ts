import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutoverReport } from '../../src/cutover/cutover.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query } from '../streaming/sidecar-fixture.js';
import { seedLegacy, startWorkload } from './legacy-workload.js';
import { startObservedSidecar, type ObservedSidecar } from './observed-sidecar.js';
import { runCli } from '../harness/run-cli.js';

let dbs: TestDatabases;
let observed: ObservedSidecar;

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs);
  await seedLegacy(dbs.legacyUrl, { users: 100, documents: 200, activityLogs: 200, businessActivities: 250, scraperTasks: 120 });
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

const statuses = (report: CutoverReport): Record<string, string> => Object.fromEntries(report.steps.map((s) => [s.step, s.status]));

describe('pgcarve cutover', () => {
  it('refuses while the legacy tables of the service are still being written', async () => {
    const workload = startWorkload(dbs.legacyUrl, { concurrency: 1, pauseMs: 20 });
    let json: Awaited<ReturnType<typeof runCli>>;
    let text: Awaited<ReturnType<typeof runCli>>;
    try {
      json = await runCli(['cutover', '--service', 'user_db', '--window', '2', '--json'], dbs.env);
      text = await runCli(['cutover', '--service', 'user_db', '--window', '2'], dbs.env);
    } finally {
      await workload.stop();
    }
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as CutoverReport;
    expect(report.ok).toBe(false);
    expect(statuses(report)).toEqual({ frozen: 'refused', sync: 'not-run', verify: 'not-run', sequences: 'not-run', 'still-frozen': 'not-run', record: 'not-run' });
    expect(report.sealLsn).toBeNull();
    expect(report.writesSeen.map((w) => w.table)).toContain('users');
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/REFUSED\s+frozen\s+the legacy tables of user_db are still being written: in the last 2 s users \(\d+ inserted, \d+ updated, 0 deleted, 0 truncated\) \(decoded the legacy WAL from [0-9A-F]+\/[0-9A-F]+ to [0-9A-F]+\/[0-9A-F]+ \(\d+ transaction\(s\)\) for /);
    expect(text.stderr).toContain('user_db is NOT cut over');
  });

  it('cuts over a frozen service: sequences past the largest ids, so an insert without an id succeeds', async () => {
    const result = await runCli(['cutover', '--service', 'freezone_db', '--window', '2', '--timeout', '30', '--json'], dbs.env);
    const report = JSON.parse(result.stdout) as CutoverReport;
    expect(result.code, JSON.stringify(report.steps)).toBe(0);
    expect(statuses(report)).toEqual({ frozen: 'ok', sync: 'ok', verify: 'ok', sequences: 'ok', 'still-frozen': 'ok', record: 'ok' });
    expect(report.legacyTables).toEqual(['business_activities', 'establishment_guides', 'free_zones']);
    expect(report.fenceLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.sequences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: 'free_zones', column: 'id', maxKey: '10', nextValue: '11', advanced: true }),
        expect.objectContaining({ table: 'business_activities', column: 'id', maxKey: '250', nextValue: '251', advanced: true }),
        expect.objectContaining({ table: 'establishment_guides', column: 'id', maxKey: null, advanced: false }),
      ]),
    );
    // Every step is safe to repeat: the sequences are already past, so nothing moves.
    const again = await runCli(['cutover', '--service', 'freezone_db', '--assume-frozen', '--json'], dbs.env);
    expect(again.code, again.stdout).toBe(0);
    const second = JSON.parse(again.stdout) as CutoverReport;
    expect(second.sequences.filter((s) => s.advanced)).toEqual([]);
    expect(second.sealLsn).toBe(report.sealLsn);
    expect(second.steps.find((s) => s.step === 'record')?.detail).toMatch(/^freezone_db was already cut over at .*, sealed at [0-9A-F]+\/[0-9A-F]+; nothing to do$/);
    // The service now writes its own rows, without explicit ids.
    const [zone] = await query<{ id: number }>(dbs.serviceUrls.freezone_db, `INSERT INTO free_zones (slug, name, emirate, benefits) VALUES ('new-zone', 'New', 'Sharjah', '{}') RETURNING id`);
    expect(zone?.id).toBe(11);
    const [activity] = await query<{ id: number }>(
      dbs.serviceUrls.freezone_db,
      `INSERT INTO business_activities (free_zone_id, code, name, category_slug, is_regulated) VALUES (11, 'n1', 'New activity', 'category-1-co', false) RETURNING id`,
    );
    expect(activity?.id).toBe(251);
    // Its own rows are not drift: the drift checks leave a cut-over service alone, status says so.
    const verify = await runCli(['verify', '--service', 'freezone_db'], dbs.env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/freezone_db: sealed: cut over at \d{4}-\d\d-\d\dT[\d:]+Z, forward path sealed at [0-9A-F]+\/[0-9A-F]+ \(pgcarve.cutover\)/);
    const status = await runCli(['status'], dbs.env);
    expect(status.stdout).toMatch(/freezone_db:\n  cut over at /);
  });

  it('refuses a service with drift, naming the table, and leaves its sequences alone', async () => {
    await query(dbs.serviceUrls.scraper_db, 'DELETE FROM scraper_tasks WHERE id = 5');
    const result = await runCli(['cutover', '--service', 'scraper_db', '--assume-frozen'], dbs.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/skipped\s+frozen/);
    expect(result.stderr).toMatch(/ok\s+sync/);
    expect(result.stderr).toMatch(/REFUSED\s+verify\s+drift check of scraper_db did not pass/);
    expect(result.stderr).toMatch(/scraper_tasks \(from legacy scraper_tasks\): 1 missing, 0 extra, 0 different; e\.g\. missing id=5/);
    expect(result.stderr).toMatch(/not run\s+sequences/);
    const [sequence] = await query<{ last: string | null }>(dbs.serviceUrls.scraper_db, `SELECT pg_sequence_last_value(pg_get_serial_sequence('scraper_tasks', 'id'))::text AS last`);
    expect(sequence?.last).toBeNull();
  });

  it('rejects a missing or unknown service', async () => {
    const missing = await runCli(['cutover'], dbs.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--service is required');
    const unknown = await runCli(['cutover', '--service', 'billing_db'], dbs.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--service must be one of user_db, document_db');
  });
});
