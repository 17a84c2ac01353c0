import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reverseNames } from '../../src/reverse/reverse-names.js';
import type { RollbackReport } from '../../src/rollback/rollback.js';
import type { TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { runCli } from '../harness/run-cli.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { cutOver, cutOverWorld, type CutOverWorld, reverseSync, run, type RunningReverse, startReverse } from './reverse-fixture.js';
import { SERVICE_WRITES } from './service-writes.js';

let world: CutOverWorld;
let dbs: TestDatabases;
let sidecar: RunningSidecar;
let reverse: RunningReverse;

beforeAll(async () => {
  world = await cutOverWorld(['freezone_db'], { users: 10, documents: 10, activityLogs: 10, businessActivities: 20, scraperTasks: 5, messages: 2 });
  ({ dbs, sidecar } = world);
  reverse = startReverse(sidecar.config);
  await run(dbs.serviceUrls.freezone_db, SERVICE_WRITES.freezone_db);
  await reverseSync(sidecar.config, 'freezone_db');
}, 300_000);

afterAll(async () => {
  await reverse?.stop();
  await world?.drop();
});

const statuses = (report: RollbackReport): Record<string, string> => Object.fromEntries(report.steps.map((s) => [s.step, s.status]));
const rollback = async (service: string, ...more: string[]): Promise<{ code: number; report: RollbackReport }> => {
  const result = await runCli(['rollback', '--service', service, '--window', '1', '--timeout', '60', '--json', ...more], dbs.env);
  return { code: result.code, report: JSON.parse(result.stdout) as RollbackReport };
};

describe('pgcarve rollback', () => {
  it('refuses a service that is not cut over', async () => {
    const { code, report } = await rollback('user_db');
    expect(code).toBe(1);
    expect(statuses(report)['cut-over']).toBe('refused');
    expect(report.steps.find((s) => s.step === 'cut-over')?.detail).toContain('not cut over');
  });

  it('refuses while the service still writes to its database (a row change between the two fences)', async () => {
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await run(dbs.serviceUrls.freezone_db, [`UPDATE free_zones SET description = 'busy ${i}' WHERE id = 2`]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    let result: Awaited<ReturnType<typeof rollback>>;
    try {
      result = await rollback('freezone_db');
    } finally {
      writing = false;
      await writer;
    }
    expect(result.code).toBe(1);
    expect(statuses(result.report)).toMatchObject({ 'cut-over': 'ok', stopped: 'refused', unseal: 'not-run', remove: 'not-run' });
    expect(result.report.steps.find((s) => s.step === 'stopped')?.detail).toContain('is still writing');
    // Still cut over: the reverse stream still carries the service's writes back.
    expect((await runCli(['status', '--json'], dbs.env)).stdout).toContain('"service":"freezone_db"');
  });

  it('rolls back a service that stopped writing: drained, no drift, legacy sequences past its keys, unsealed, reverse slot gone', async () => {
    const { code, report } = await rollback('freezone_db');
    expect(code, JSON.stringify(report.steps)).toBe(0);
    expect(statuses(report)).toEqual({ 'cut-over': 'ok', stopped: 'ok', drained: 'ok', verify: 'ok', sequences: 'ok', 'still-stopped': 'ok', unseal: 'ok', remove: 'ok' });
    expect(report.fences).toHaveLength(3);
    expect(report.sequences).toEqual(expect.arrayContaining([expect.objectContaining({ table: 'free_zones', column: 'id', advanced: true })]));
    const slot = reverseNames(sidecar.config.slot, 'freezone_db').slot;
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [slot])).toEqual([]);
    await waitFor('the reverse stream to stop', () => reverse.supervisor.snapshot().length === 0, 30_000);
    const status = JSON.parse((await runCli(['status', '--json'], dbs.env)).stdout) as { services: { service: string; direction: string }[] };
    expect(status.services.map((s) => [s.service, s.direction])).toEqual([
      ['user_db', 'forward'],
      ['document_db', 'forward'],
      ['freezone_db', 'rolled back'],
      ['ai_research_db', 'forward'],
      ['scraper_db', 'forward'],
    ]);
  });

  it('is safe to repeat', async () => {
    const { code, report } = await rollback('freezone_db');
    expect(code, JSON.stringify(report.steps)).toBe(0);
    expect(statuses(report)).toMatchObject({ stopped: 'skipped', verify: 'skipped', sequences: 'ok', unseal: 'skipped', remove: 'ok' });
  });

  it('then the legacy workload resumes and the service database follows the legacy database again, oracle equal', async () => {
    await run(dbs.legacyUrl, [
      // Without an id: the legacy sequence is past the rows the service created.
      `INSERT INTO free_zones (slug, name, emirate, benefits) VALUES ('legacy-again', 'Legacy again', 'Ajman', E'a\\nb')`,
      `INSERT INTO business_activities (free_zone_id, code, name, category, created_at) VALUES (500, 'L1', 'legacy activity', 'Rev Category', now())`,
      `UPDATE free_zones SET name = 'updated in legacy' WHERE id = 500`,
      `UPDATE business_activities SET name = 'legacy renamed' WHERE id = 5001`,
      `DELETE FROM free_zones WHERE slug = 'seq-zone'`,
    ]);
    await sidecar.sync(60_000);
    expect(await query(dbs.serviceUrls.freezone_db, `SELECT name FROM free_zones WHERE id = 500`)).toEqual([{ name: 'updated in legacy' }]);
    expect(await query(dbs.serviceUrls.freezone_db, `SELECT count(*)::int AS n FROM free_zones WHERE slug IN ('legacy-again', 'seq-zone')`)).toEqual([{ n: 1 }]);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls, ['freezone_db'])).toEqual([]);
  });

  it('a second cutover after the rollback starts a fresh reverse stream', async () => {
    await cutOver(sidecar.config, 'freezone_db');
    await waitFor('the reverse stream to run again', () => reverse.supervisor.snapshot().some((p) => p.service === 'freezone_db' && p.state.kind === 'streaming'), 30_000);
    await run(dbs.serviceUrls.freezone_db, [`UPDATE free_zones SET name = 'cut over again' WHERE id = 500`]);
    await reverseSync(sidecar.config, 'freezone_db');
    expect(await query(dbs.legacyUrl, `SELECT name FROM free_zones WHERE id = 500`)).toEqual([{ name: 'cut over again' }]);
  });
});
