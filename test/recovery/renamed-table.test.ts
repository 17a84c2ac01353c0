import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseLsn } from '../../src/lsn.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/**
 * Issue 12, found 6: a mapped legacy table renamed while pgcarve streams it keeps its relation OID
 * (and its place in the publication). Its changes must stop the services it feeds, with the old
 * and new name and the remedy, and the slot must not move past them; a relation no mapping reads
 * (a table added to the publication by hand) is reported, not silently dropped.
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

async function insertLsn(): Promise<bigint> {
  const [row] = await query<{ lsn: string }>(dbs.legacyUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return parseLsn(row?.lsn ?? '0/0');
}

it('a mapped table renamed while running stops its services; the slot holds its changes', async () => {
  running = await startSidecar(dbs);
  const sidecar = (running as RunningSidecar).sidecar;
  await query(dbs.legacyUrl, `INSERT INTO scraper_tasks (id, url, kind, status) VALUES (1, 'a', 'k', 's')`);
  await (running as RunningSidecar).sync(60_000);
  await query(dbs.legacyUrl, `ALTER TABLE scraper_tasks RENAME TO scraper_tasks_old`);
  await query(dbs.legacyUrl, `INSERT INTO scraper_tasks_old (id, url, kind, status) VALUES (2, 'b', 'k', 's'); INSERT INTO roles (id, name) VALUES (1, 'after')`);
  const end = await insertLsn();

  const writer = sidecar.writers.find((w) => w.service === 'scraper_db');
  await waitFor('user_db to apply the later transaction', async () => (await query(dbs.serviceUrls.user_db, 'SELECT 1 FROM roles WHERE id = 1')).length > 0, 60_000);
  await waitFor('scraper_db to stop or pass the insert', () => writer?.state.kind === 'stopped' || (writer?.position() ?? 0n) >= end, 60_000);
  const state = writer?.state;
  expect(state?.kind).toBe('stopped');
  if (state?.kind !== 'stopped') return;
  expect(state.error.kind).toBe('table_missing');
  expect(state.error.message).toContain('public.scraper_tasks was renamed to public.scraper_tasks_old');
  expect(state.error.message).toContain('ALTER TABLE public.scraper_tasks_old RENAME TO scraper_tasks');
  expect(sidecar.ready()).toBe(false);
  expect(await query(dbs.serviceUrls.scraper_db, 'SELECT id FROM scraper_tasks ORDER BY id')).toEqual([{ id: 1 }]);
  const [slot] = await query<{ lsn: string }>(dbs.legacyUrl, 'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [dbs.slot]);
  const confirmed = parseLsn(slot?.lsn ?? '0/0');
  expect(confirmed).toBeLessThan(end);
  expect(writer?.position()).toBeLessThan(end);
}, 120_000);

it('a relation no mapping reads is reported as unrouted and the others go on', async () => {
  const lines: string[] = [];
  running = await startSidecar(dbs, {}, { log: createLogger('warn', (line) => lines.push(line)) });
  await query(dbs.legacyUrl, `CREATE TABLE audit_trail (id int PRIMARY KEY, note text); ALTER PUBLICATION ${dbs.publication} ADD TABLE audit_trail`);
  await query(dbs.legacyUrl, `INSERT INTO audit_trail VALUES (1, 'n'); INSERT INTO roles (id, name) VALUES (1, 'after')`);
  await running.sync(60_000);
  const warnings = lines.map((line) => JSON.parse(line) as { level: string; msg: string; table?: string }).filter((r) => r.table === 'public.audit_trail');
  expect(warnings).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringContaining('no mapping routes them') })]);
  // The router's RelationMemory lists it (src/router/relation-check.test.ts); the sidecar adds
  // that list to the unroutedTables of its snapshot (/status, pgcarve_unrouted_tables).
  expect(running.sidecar.ready()).toBe(true);
}, 120_000);
