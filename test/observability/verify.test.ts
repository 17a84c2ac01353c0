import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../src/verify/drift-report.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query } from '../streaming/sidecar-fixture.js';
import { seedLegacy, startWorkload } from './legacy-workload.js';
import { sample, startObservedSidecar, type ObservedSidecar } from './observed-sidecar.js';
import { runCli } from '../harness/run-cli.js';

let dbs: TestDatabases;
let observed: ObservedSidecar;

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs, { driftIntervalSeconds: 1, verify: { chunkSize: 50, pauseMs: 0 } });
  await seedLegacy(dbs.legacyUrl);
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

/** The first continuous pass that starts at or after `since` (ms). */
async function passStartedAfter(since: number): Promise<DriftReport> {
  for (;;) {
    const report = await observed.verifier.nextPass();
    if (Date.parse(report.startedAt) >= since) return report;
  }
}

function took(report: DriftReport): number {
  return Date.parse(report.finishedAt) - Date.parse(report.startedAt);
}

function driftOf(report: DriftReport): { service: string; table: string; missing: number; extra: number; different: number }[] {
  return report.services.flatMap((s) => s.tables.filter((t) => t.missing + t.extra + t.different > 0).map((t) => ({ service: s.service, table: t.table, missing: t.missing, extra: t.extra, different: t.different })));
}

describe('drift verification under a continuous write load', () => {
  it('reports no drift, continuous and one-shot, across many chunks (no false positives)', async () => {
    const workload = startWorkload(dbs.legacyUrl, { concurrency: 2 });
    try {
      const first = await passStartedAfter(Date.now());
      const second = await passStartedAfter(Date.now());
      const oneShot = await runCli(['verify', '--json', '--chunk-size', '50'], dbs.env);
      const written = workload.transactions();
      const report = JSON.parse(oneShot.stdout) as DriftReport & { drift: boolean; complete: boolean };
      console.log(
        `under load (${written} legacy transactions so far): continuous passes of ${first.chunks} and ${second.chunks} chunks (${first.rechecks} and ${second.rechecks} re-checked, ${took(first)} and ${took(second)} ms), one-shot ${report.chunks} chunks (${report.rechecks} re-checked, ${took(report)} ms)`,
      );
      expect(written).toBeGreaterThan(50);
      for (const pass of [first, second, report]) {
        expect(driftOf(pass)).toEqual([]);
        expect(pass.services.map((s) => [s.service, s.outcome.kind])).toEqual(pass.services.map((s) => [s.service, 'verified']));
        expect(pass.chunks).toBeGreaterThan(30);
      }
      expect(oneShot.code, oneShot.stderr).toBe(0);
      expect(report.drift).toBe(false);
      const metrics = await observed.metrics.text();
      expect(sample(metrics, 'pgcarve_drift_rows', { service: 'document_db', table: 'documents', kind: 'different' })).toBe(0);
      expect(sample(metrics, 'pgcarve_drift_checked_rows_total', { service: 'document_db', table: 'documents' })).toBeGreaterThan(0);
    } finally {
      await workload.stop();
    }
  });

  it('reports a row changed, deleted or added in a target within one check interval, with its table', async () => {
    const workload = startWorkload(dbs.legacyUrl, { concurrency: 2, seed: 7 });
    try {
      await query(dbs.serviceUrls.document_db, `UPDATE documents SET title = 'tampered' WHERE id = 1`);
      await query(dbs.serviceUrls.user_db, `DELETE FROM user_profiles WHERE user_id = 5`);
      await query(dbs.serviceUrls.scraper_db, `INSERT INTO activity_logs (id, action, entity, created_at) VALUES (99999999, 'x', 'scraper_fake', now())`);
      await query(dbs.serviceUrls.freezone_db, `DELETE FROM business_activity_categories WHERE slug = 'category-5-co'`);
      const injected = Date.now();
      const report = await passStartedAfter(injected);
      console.log(`drift reported ${Date.parse(report.finishedAt) - injected} ms after it was made (check interval 1 s; that pass took ${Date.parse(report.finishedAt) - Date.parse(report.startedAt)} ms, ${report.chunks} chunks, ${report.rechecks} re-checked)`);
      expect(driftOf(report)).toEqual(
        expect.arrayContaining([
          { service: 'user_db', table: 'user_profiles', missing: 1, extra: 0, different: 0 },
          { service: 'document_db', table: 'documents', missing: 0, extra: 0, different: 1 },
          { service: 'freezone_db', table: 'business_activity_categories', missing: 1, extra: 0, different: 0 },
          { service: 'scraper_db', table: 'activity_logs', missing: 0, extra: 1, different: 0 },
        ]),
      );
      expect(driftOf(report)).toHaveLength(4);
      const documents = report.services.find((s) => s.service === 'document_db')?.tables.find((t) => t.table === 'documents');
      expect(documents?.samples).toEqual([{ kind: 'different', key: 'id=1', legacyKey: 'id=1', columns: ['title'] }]);
      const metrics = await observed.metrics.text();
      expect(sample(metrics, 'pgcarve_drift_rows', { service: 'scraper_db', table: 'activity_logs', kind: 'extra' })).toBe(1);
      expect(sample(metrics, 'pgcarve_drift_rows', { service: 'user_db', table: 'user_profiles', kind: 'missing' })).toBe(1);

      const oneShot = await runCli(['verify'], dbs.env);
      expect(oneShot.code).toBe(1);
      expect(oneShot.stderr).toContain('document_db: DRIFT');
      expect(oneShot.stderr).toMatch(/documents \(from legacy documents\): 0 missing, 0 extra, 1 different; e\.g\. different id=1 \(title\)/);
      expect(oneShot.stderr).toMatch(/activity_logs \(from legacy activity_logs\): 0 missing, 1 extra, 0 different; e\.g\. extra id=99999999/);
      expect(oneShot.stderr).toMatch(/user_profiles \(from legacy users\): 1 missing/);
      expect(oneShot.stderr).toContain('ai_research_db: no drift');
      const one = await runCli(['verify', '--service', 'ai_research_db'], dbs.env);
      expect(one.code, one.stderr).toBe(0);
    } finally {
      await workload.stop();
    }
  });
});
