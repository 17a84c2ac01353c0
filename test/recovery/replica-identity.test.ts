import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgcarveError } from '../../src/errors/pgcarve-error.js';
import { parseLsn } from '../../src/lsn.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/**
 * Issue 12, found 5: REPLICA IDENTITY USING INDEX on an index without the mapping's key columns
 * makes pgoutput send the key as NULL for updates and deletes; `DELETE … WHERE id = NULL` deletes
 * nothing. pgcarve refuses such a table at start, and stops the services a table feeds when its
 * identity changes that way while it runs, before applying any of its changes.
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;

beforeEach(async () => {
  dbs = await createTestDatabases();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await dbs?.drop();
});

const URL_IDENTITY = `CREATE UNIQUE INDEX scraper_tasks_url_key ON scraper_tasks (url); ALTER TABLE scraper_tasks REPLICA IDENTITY USING INDEX scraper_tasks_url_key`;

describe('REPLICA IDENTITY USING INDEX without the mapping key', () => {
  it('is refused at start with the table, the index, the columns and the fix', async () => {
    await query(dbs.legacyUrl, URL_IDENTITY);
    const error = await startSidecar(dbs).then(
      (r) => {
        running = r;
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PgcarveError);
    expect((error as PgcarveError).kind).toBe('no_replica_identity');
    const message = (error as PgcarveError).message;
    expect(message).toContain('public.scraper_tasks');
    expect(message).toContain('scraper_tasks_url_key');
    expect(message).toContain('(url)');
    expect(message).toContain('(id)');
    expect(message).toContain('ALTER TABLE public.scraper_tasks REPLICA IDENTITY USING INDEX scraper_tasks_pkey');
    expect(message).toContain('REPLICA IDENTITY FULL');
  });

  it('is accepted when the index holds the mapping key', async () => {
    await query(dbs.legacyUrl, `CREATE UNIQUE INDEX scraper_tasks_id_url_key ON scraper_tasks (id, url); ALTER TABLE scraper_tasks REPLICA IDENTITY USING INDEX scraper_tasks_id_url_key`);
    running = await startSidecar(dbs);
    await query(dbs.legacyUrl, `INSERT INTO scraper_tasks (id, url, kind, status) VALUES (1, 'a', 'k', 's'), (2, 'b', 'k', 's'); DELETE FROM scraper_tasks WHERE id = 1`);
    await running.sync(60_000);
    expect(await query(dbs.serviceUrls.scraper_db, 'SELECT id FROM scraper_tasks ORDER BY id')).toEqual([{ id: 2 }]);
  });

  it('set while running stops the services the table feeds before any of its changes apply', async () => {
    running = await startSidecar(dbs);
    await query(dbs.legacyUrl, `INSERT INTO scraper_tasks (id, url, kind, status) VALUES (1, 'a', 'k', 's'), (2, 'b', 'k', 's')`);
    await running.sync(60_000);
    await query(dbs.legacyUrl, URL_IDENTITY);
    await query(dbs.legacyUrl, `DELETE FROM scraper_tasks WHERE id = 1; INSERT INTO roles (id, name) VALUES (1, 'after')`);

    const writer = running.sidecar.writers.find((w) => w.service === 'scraper_db');
    await waitFor('user_db to apply the later transaction', async () => (await query(dbs.serviceUrls.user_db, 'SELECT 1 FROM roles WHERE id = 1')).length > 0, 60_000);
    const [end] = await query<{ lsn: string }>(dbs.legacyUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const endLsn = parseLsn(end?.lsn ?? '0/0');
    await waitFor('scraper_db to stop or pass the delete', () => writer?.state.kind === 'stopped' || (writer?.position() ?? 0n) >= endLsn, 60_000);
    const state = writer?.state;
    expect(state?.kind).toBe('stopped');
    if (state?.kind !== 'stopped') return;
    expect(state.error.kind).toBe('no_replica_identity');
    expect(state.error.message).toContain('public.scraper_tasks');
    expect(state.error.message).toContain('(id)');
    expect(state.error.message).toContain('REPLICA IDENTITY FULL');
    expect(running.sidecar.ready()).toBe(false);
    expect(await query(dbs.serviceUrls.scraper_db, 'SELECT id FROM scraper_tasks ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  }, 120_000);
});
