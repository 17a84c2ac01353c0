import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceName } from '../../mappings/services.js';
import type { TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { cutOverWorld, type CutOverWorld, expectNoForwardDrift, reverseSync, run, type RunningReverse, startReverse } from './reverse-fixture.js';

let world: CutOverWorld;
let dbs: TestDatabases;
let sidecar: RunningSidecar;
let reverse: RunningReverse;

beforeAll(async () => {
  world = await cutOverWorld(['document_db', 'user_db'], { users: 10, documents: 10, activityLogs: 5, businessActivities: 5, scraperTasks: 5, messages: 1 });
  ({ dbs, sidecar } = world);
  reverse = startReverse(sidecar.config);
}, 300_000);

afterAll(async () => {
  await reverse?.stop();
  await world?.drop();
});

const stopped = (service: ServiceName) =>
  waitFor(`the reverse stream of ${service} to stop`, () => {
    const state = reverse.supervisor.snapshot().find((p) => p.service === service)?.state;
    return state?.kind === 'stopped' ? state.error : undefined;
  }, 60_000);

describe('the reverse stream halts on what the legacy database cannot hold, with a message', () => {
  it('a documents id that is also a document_templates id stops it, the template intact; moving the row and restarting carries on', async () => {
    expect(await query(dbs.legacyUrl, 'SELECT is_template FROM documents WHERE id = 5')).toEqual([{ is_template: true }]);
    await run(dbs.serviceUrls.document_db, [`INSERT INTO documents (id, title, document_type_code, created_at, updated_at) VALUES (5, 'collides', 'passport', now(), now())`]);
    const error = await stopped('document_db');
    expect(error.kind).toBe('constraint_violation');
    expect(error.message).toContain('document_db.documents and document_db.document_templates both hold id 5');
    expect(error.message).toContain('move one of the rows to a free id, then restart pgcarve');
    expect(await query(dbs.legacyUrl, 'SELECT is_template, title FROM documents WHERE id = 5')).toEqual([{ is_template: true, title: 'Doc 5' }]);
    // The operator's remedy, then a restart: the replayed insert of id 5 is the template's no more.
    await run(dbs.serviceUrls.document_db, ['UPDATE documents SET id = 900 WHERE id = 5']);
    await reverse.stop();
    reverse = startReverse(sidecar.config);
    await reverseSync(sidecar.config, 'document_db');
    expect(await query(dbs.legacyUrl, 'SELECT id::int, is_template, title FROM documents WHERE id IN (5, 900) ORDER BY id')).toEqual([
      { id: 5, is_template: true, title: 'Doc 5' },
      { id: 900, is_template: false, title: 'collides' },
    ]);
    await expectNoForwardDrift(sidecar.config, 'document_db');
  });

  it('a change a legacy foreign key rejects stops it, naming the constraint; the other services go on', async () => {
    const [referenced] = await query<{ user_id: number }>(dbs.legacyUrl, 'SELECT min(user_id) AS user_id FROM documents WHERE user_id IS NOT NULL');
    await run(dbs.serviceUrls.user_db, [`DELETE FROM user_profiles WHERE user_id = ${referenced?.user_id}; DELETE FROM users WHERE id = ${referenced?.user_id}`]);
    const error = await stopped('user_db');
    expect(error.kind).toBe('constraint_violation');
    expect(error.message).toMatch(/applying a change of user_db\.(users|user_profiles) to legacy table users/);
    expect(error.message).toContain('foreign key constraint');
    expect(await query(dbs.legacyUrl, `SELECT count(*)::int AS n FROM users WHERE id = ${referenced?.user_id}`)).toEqual([{ n: 1 }]);
    await run(dbs.serviceUrls.document_db, [`UPDATE documents SET title = 'still flowing' WHERE id = 900`]);
    await reverseSync(sidecar.config, 'document_db');
    expect(await query(dbs.legacyUrl, 'SELECT title FROM documents WHERE id = 900')).toEqual([{ title: 'still flowing' }]);
  });
});
