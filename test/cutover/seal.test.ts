import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutoverReport } from '../../src/cutover/cutover.js';
import type { StatusView } from '../../src/http/status-view.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { seedLegacy } from '../observability/legacy-workload.js';
import { sample, startObservedSidecar, type ObservedSidecar } from '../observability/observed-sidecar.js';
import { runCli } from '../harness/run-cli.js';
import { query } from '../streaming/sidecar-fixture.js';

/**
 * After `pgcarve cutover` the forward path of the service is sealed: no legacy change committed
 * after the seal reaches its database, whatever it is (an insert whose key collides with the
 * service's own row, an update, a delete, TRUNCATE … CASCADE), across a sidecar restart too;
 * each held change is counted, and every other service keeps applying.
 */
let dbs: TestDatabases;
let observed: ObservedSidecar;
let env: Record<string, string>;

/** The whole content of freezone_db, as counts and a digest (no row values in the output). */
const FREEZONE_STATE = `SELECT (SELECT count(*)::int FROM free_zones) AS zones, md5((SELECT json_agg(z ORDER BY id) FROM free_zones z)::text) AS zones_md5,
  (SELECT count(*)::int FROM business_activities) AS activities, md5((SELECT json_agg(a ORDER BY id) FROM business_activities a)::text) AS activities_md5,
  (SELECT count(*)::int FROM establishment_guides) AS guides`;

async function freezoneState(): Promise<unknown> {
  return (await query(dbs.serviceUrls.freezone_db, FREEZONE_STATE))[0];
}

async function metrics(): Promise<string> {
  return await (await fetch(`${observed.url}/metrics`)).text();
}

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs);
  env = { ...dbs.env, PGCARVE_HTTP_PORT: new URL(observed.url).port };
  await seedLegacy(dbs.legacyUrl, { users: 50, documents: 50, activityLogs: 50, businessActivities: 40, scraperTasks: 30 });
  await query(dbs.legacyUrl, `INSERT INTO establishment_guides (free_zone_id, entity_type, title, steps) VALUES (1, 'llc', 'Guide', '[]')`);
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

describe('the cutover seal', () => {
  it('holds every legacy write after the cutover away from the service, counts it, and lets the others apply', async () => {
    const cutover = await runCli(['cutover', '--service', 'freezone_db', '--window', '1', '--timeout', '60', '--json'], env);
    const report = JSON.parse(cutover.stdout) as CutoverReport;
    expect(cutover.code, JSON.stringify(report.steps)).toBe(0);
    expect(report.sealLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // The service writes its own rows: id 11 from its sequence, and changes a migrated row.
    await query(dbs.serviceUrls.freezone_db, `INSERT INTO free_zones (slug, name, emirate, benefits) VALUES ('own-zone', 'Own', 'Sharjah', '{}')`);
    await query(dbs.serviceUrls.freezone_db, `UPDATE free_zones SET name = 'renamed by the service' WHERE id = 2`);
    const before = await freezoneState();
    expect(before).toMatchObject({ zones: 11, activities: 40, guides: 1 });
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT slug FROM free_zones WHERE id = 11')).toEqual([{ slug: 'own-zone' }]);
    const scraperBefore = await query<{ n: number }>(dbs.serviceUrls.scraper_db, 'SELECT count(*)::int AS n FROM scraper_tasks');
    expect(scraperBefore[0]?.n).toBeGreaterThan(0);

    // A forgotten legacy writer: an insert with the colliding key 11 (legacy sequence), an
    // update, a delete, then TRUNCATE … CASCADE (which also empties legacy scraper_tasks), and a
    // user change in the same transaction as the update.
    await query(dbs.legacyUrl, `INSERT INTO free_zones (slug, name, emirate, benefits) VALUES ('legacy-zone', 'Legacy', 'Dubai', 'x')`);
    await query(dbs.legacyUrl, `BEGIN; UPDATE free_zones SET name = 'legacy rename' WHERE id IN (1, 2); UPDATE users SET full_name = 'after cutover' WHERE id = 3; COMMIT`);
    await query(dbs.legacyUrl, `DELETE FROM business_activities WHERE id = 7`);
    await observed.sync(60_000);
    expect(await freezoneState()).toEqual(before);
    const [user] = await query<{ full_name: string }>(dbs.serviceUrls.user_db, 'SELECT full_name FROM user_profiles WHERE user_id = 3');
    expect(user?.full_name).toBe('after cutover');

    await query(dbs.legacyUrl, `TRUNCATE free_zones CASCADE`);
    await observed.sync(60_000);
    expect(await freezoneState()).toEqual(before);
    // Other services keep applying: the cascade emptied legacy scraper_tasks, and scraper_db follows.
    const scraperAfter = await query<{ n: number }>(dbs.serviceUrls.scraper_db, 'SELECT count(*)::int AS n FROM scraper_tasks');
    expect(scraperAfter[0]?.n).toBe(0);

    const text = await metrics();
    expect(sample(text, 'pgcarve_legacy_writes_after_cutover_total', { service: 'freezone_db', table: 'free_zones' })).toBe(1 + 2 + 1);
    expect(sample(text, 'pgcarve_legacy_writes_after_cutover_total', { service: 'freezone_db', table: 'business_activities' })).toBe(1 + 1);
    expect(sample(text, 'pgcarve_legacy_writes_after_cutover_total', { service: 'freezone_db', table: 'establishment_guides' })).toBe(1);
    expect(sample(text, 'pgcarve_legacy_writes_after_cutover_total', { service: 'user_db', table: 'users' })).toBe(0);
    // The sealed writer still advances: it applied the fence (sync above) with no ops.

    const status = (await (await fetch(`${observed.url}/status`)).json()) as StatusView;
    const freezone = status.services.find((s) => s.service === 'freezone_db');
    expect(freezone?.sealLsn).toBe(report.sealLsn);
    expect(freezone?.legacyWritesAfterCutover?.map((w) => [w.table, w.changes])).toEqual([
      ['business_activities', 2],
      ['establishment_guides', 1],
      ['free_zones', 4],
    ]);
    const cli = await runCli(['status'], env);
    expect(cli.stdout).toMatch(/LEGACY WRITES AFTER CUTOVER: 4 change\(s\) to free_zones, the last committed at [0-9A-F]+\/[0-9A-F]+; not applied to freezone_db/);

    // The drift checks do not skip silently: the service is reported as sealed.
    const verify = await runCli(['verify', '--service', 'freezone_db'], env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/freezone_db: sealed: cut over at .*, forward path sealed at /);
  });

  it('refuses to backfill a cut-over service, saying why, and changes nothing', async () => {
    const before = await freezoneState();
    for (const args of [['--service', 'freezone_db'], ['--table', 'free_zones']]) {
      const result = await runCli(['backfill', ...args, '--timeout', '30'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/refused: freezone_db \(cut over at .*\) is cut over: its database is the source of truth.*Nothing was changed/);
    }
    expect(await freezoneState()).toEqual(before);
  });

  it('still holds after a restart: the seal is loaded from pgcarve.cutover', async () => {
    const before = await freezoneState();
    await observed.stop();
    await query(dbs.legacyUrl, `INSERT INTO free_zones (id, slug, name, emirate) VALUES (11, 'while-stopped', 'Stopped', 'Ajman')`);
    observed = await startObservedSidecar(dbs);
    env = { ...env, PGCARVE_HTTP_PORT: new URL(observed.url).port };
    await query(dbs.legacyUrl, `UPDATE free_zones SET name = 'after restart' WHERE id = 11`);
    await observed.sync(60_000);
    expect(await freezoneState()).toEqual(before);
    await waitFor('the held changes counted after the restart', async () => sample(await metrics(), 'pgcarve_legacy_writes_after_cutover_total', { service: 'freezone_db', table: 'free_zones' }) === 2);
  });

  it('is lifted by rolled_back_at (the rollback) at the next start', async () => {
    await observed.stop();
    await query(dbs.serviceUrls.freezone_db, `UPDATE pgcarve.cutover SET rolled_back_at = now()`);
    observed = await startObservedSidecar(dbs);
    await query(dbs.legacyUrl, `INSERT INTO free_zones (id, slug, name, emirate) VALUES (12, 'after-rollback', 'Back', 'Dubai')`);
    await observed.sync(60_000);
    const [zone] = await query<{ slug: string }>(dbs.serviceUrls.freezone_db, 'SELECT slug FROM free_zones WHERE id = 12');
    expect(zone?.slug).toBe('after-rollback');
    const verify = await runCli(['verify', '--service', 'freezone_db'], dbs.env);
    expect(verify.stdout).not.toContain('sealed');
  });
});
