import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reverseNames } from '../../src/reverse/reverse-names.js';
import type { TestDatabases } from '../harness/databases.js';
import { query, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { auditSql, cutOverWorld, type CutOverWorld, reverseSync, run, type RunningReverse, startReverse } from './reverse-fixture.js';

let world: CutOverWorld;
let dbs: TestDatabases;
let sidecar: RunningSidecar;
let reverse: RunningReverse;
/** Legacy changes the forward path held back by the seal ("legacy writes after cutover"). */
const held: string[] = [];

const AUDIT = auditSql(['free_zones']);

beforeAll(async () => {
  world = await cutOverWorld(['freezone_db'], { users: 5, documents: 5, activityLogs: 5, businessActivities: 5, scraperTasks: 5, messages: 1 }, {
    sealObserver: { legacyWriteAfterCutover: (service, table) => held.push(`${service}.${table}`) },
  });
  ({ dbs, sidecar } = world);
  await run(dbs.serviceUrls.freezone_db, [AUDIT]);
  await run(dbs.legacyUrl, [AUDIT]);
  reverse = startReverse(sidecar.config);
}, 300_000);

afterAll(async () => {
  await reverse?.stop();
  await world?.drop();
});

describe('no loop between the reverse and the forward stream', () => {
  it('a row the reverse stream wrote to legacy is not applied forward again', async () => {
    await run(dbs.serviceUrls.freezone_db, [`INSERT INTO free_zones (id, slug, name, emirate, benefits) VALUES (600, 'loop', 'Loop', 'Dubai', '{a}')`, `UPDATE free_zones SET name = 'Loop 2' WHERE id = 600`]);
    await reverseSync(sidecar.config, 'freezone_db');
    // The forward stream has now seen (and must have skipped) the legacy transactions the reverse stream wrote.
    await sidecar.sync(60_000);
    await reverseSync(sidecar.config, 'freezone_db');
    expect(await query(dbs.legacyUrl, 'SELECT op FROM audit WHERE id = 600 ORDER BY op')).toEqual([{ op: 'INSERT' }, { op: 'UPDATE' }]);
    // Nor does the seal count them as legacy writes after the cutover (they are the service's own).
    expect(held).toEqual([]);
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT op FROM audit WHERE id = 600 ORDER BY op')).toEqual([{ op: 'INSERT' }, { op: 'UPDATE' }]);
    // The legacy transactions carry the reverse stream's replication origin (origins are cluster-wide: other test files have theirs).
    const origins = await query<{ roname: string }>(dbs.legacyUrl, 'SELECT roname FROM pg_replication_origin_status JOIN pg_replication_origin ON roident = local_id');
    expect(origins.map((o) => o.roname)).toContain(reverseNames(sidecar.config.slot, 'freezone_db').origin);
  });

  it('a legacy write from anyone else is still held by the seal and counted', async () => {
    await run(dbs.legacyUrl, [`UPDATE free_zones SET name = 'late legacy writer' WHERE id = 600`]);
    await sidecar.sync(60_000);
    expect(held).toEqual(['freezone_db.free_zones']);
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT name FROM free_zones WHERE id = 600')).toEqual([{ name: 'Loop 2' }]);
  });
});
