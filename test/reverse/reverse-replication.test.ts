import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../mappings/services.js';
import type { TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { cutOverWorld, type CutOverWorld, expectNoForwardDrift, reverseSync, run, type RunningReverse, startReverse } from './reverse-fixture.js';
import { SERVICE_WRITES } from './service-writes.js';

let world: CutOverWorld;
let dbs: TestDatabases;
let sidecar: RunningSidecar;
let reverse: RunningReverse;

beforeAll(async () => {
  world = await cutOverWorld(SERVICES, { users: 20, documents: 40, activityLogs: 30, businessActivities: 30, scraperTasks: 10, messages: 5 });
  ({ dbs, sidecar } = world);
  reverse = startReverse(sidecar.config);
}, 300_000);

afterAll(async () => {
  await reverse?.stop();
  await world?.drop();
});

describe('reverse replication after cutover', () => {
  it.each(SERVICES.map((s) => [s]))('%s: its inserts, updates, key changes and deletes arrive in the legacy tables; the forward drift check is clean', async (service) => {
    await run(dbs.serviceUrls[service], SERVICE_WRITES[service]);
    await reverseSync(sidecar.config, service);
    // The oracle (monolith.md as SQL over legacy) now describes exactly what the service holds.
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls, [service])).toEqual([]);
    await expectNoForwardDrift(sidecar.config, service);
    expect(reverse.supervisor.snapshot().find((p) => p.service === service)?.state.kind).toBe('streaming');
  });

  it('split tables merge back: users + user_profiles, documents three ways, benefits and tags, category slugs', async () => {
    const [user] = await query<{ email: string; full_name: string; phone: string; is_active: boolean }>(dbs.legacyUrl, 'SELECT email, full_name, phone, is_active FROM users WHERE id = 1000');
    expect(user).toEqual({ email: 'r1b@example.test', full_name: 'Zoë 東京 🏙️', phone: '+971 4', is_active: false });
    expect(await query(dbs.legacyUrl, 'SELECT id FROM users WHERE id IN (1001, 1002)')).toEqual([]);
    const docs = await query<{ id: string; is_template: boolean; user_id: number | null; document_type: string }>(dbs.legacyUrl, 'SELECT id::text, is_template, user_id, document_type FROM documents WHERE id IN (5001, 5002, 5003) ORDER BY id');
    expect(docs).toEqual([
      { id: '5001', is_template: true, user_id: null, document_type: 'reverse_type' },
      { id: '5002', is_template: false, user_id: 3, document_type: 'reverse_type' },
    ]);
    expect(await query(dbs.legacyUrl, `SELECT benefits FROM free_zones WHERE id = 500`)).toEqual([{ benefits: 'one' }]);
    expect(await query(dbs.legacyUrl, `SELECT tags FROM ai_training_data WHERE input = 'seq'`)).toEqual([{ tags: 'one' }]);
    const [activity] = await query<{ category: string }>(dbs.legacyUrl, 'SELECT category FROM business_activities WHERE id = 5001');
    expect(activity?.category).toMatch(/^Category \d+ & Co$/);
  });
});
