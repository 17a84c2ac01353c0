import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/lsn.js';
import type { ServiceName } from '../../mappings/services.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from './sidecar-fixture.js';

/**
 * Operator-facing failures stop only the writer they concern, with a message that names the
 * service, the legacy table, the key columns and the LSN; the slot keeps the WAL from that
 * writer's position; the other services keep going; after the fix nothing was lost.
 */
let dbs: TestDatabases;
let running: RunningSidecar;

beforeEach(async () => {
  dbs = await createTestDatabases();
  running = await startSidecar(dbs);
});
afterEach(async () => {
  await running?.stop();
  await dbs?.drop();
});

function stoppedMessage(service: ServiceName): string | undefined {
  const state = running.sidecar.writers.find((w) => w.service === service)?.state;
  return state?.kind === 'stopped' ? state.error.message : undefined;
}

async function slotConfirmed(): Promise<bigint> {
  const [row] = await query<{ lsn: string }>(dbs.legacyUrl, `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [dbs.slot]);
  return parseLsn(row?.lsn ?? '0/0');
}

async function checkpoint(service: ServiceName): Promise<bigint> {
  const [row] = await query<{ lsn: string }>(dbs.serviceUrls[service], `SELECT lsn::text AS lsn FROM pgcarve.checkpoint WHERE slot = $1`, [dbs.slot]);
  return parseLsn(row?.lsn ?? '0/0');
}

describe('failure policy', () => {
  it('a constraint violation in a target stops that service only; the slot holds its WAL; after the fix nothing is lost', async () => {
    await query(dbs.serviceUrls.user_db, `ALTER TABLE roles ADD CONSTRAINT no_forbidden CHECK (name <> 'forbidden')`);
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (1, 'fine')`);
    await running.sync();
    const before = await checkpoint('user_db');
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (2, 'forbidden'); INSERT INTO scraper_tasks (id, url, kind, status) VALUES (1, 'u', 'k', 's')`);
    const message = await waitFor('user_db to stop', () => stoppedMessage('user_db'));
    expect(message).toMatch(/^user_db stopped at the source transaction committed at LSN [0-9A-F]+\/[0-9A-F]+: .*user_db\.public\.roles \(rows of legacy table roles, key \(id\)\): .*no_forbidden/);
    // The others go on: a later change reaches scraper_db.
    await query(dbs.legacyUrl, `UPDATE scraper_tasks SET status = 'later' WHERE id = 1`);
    await waitFor('scraper_db to apply', async () => (await query<{ status: string }>(dbs.serviceUrls.scraper_db, 'SELECT status FROM scraper_tasks WHERE id = 1'))[0]?.status === 'later');
    expect(running.sidecar.writers.filter((w) => w.state.kind === 'running').map((w) => w.service)).toEqual(['document_db', 'freezone_db', 'ai_research_db', 'scraper_db']);
    // The slot never moves past the change user_db could not apply (the transaction the message names).
    const failedAt = parseLsn(/committed at LSN ([0-9A-F]+\/[0-9A-F]+)/.exec(message)?.[1] ?? '0/0');
    await new Promise((r) => setTimeout(r, 600)); // two acknowledgement rounds
    expect(await slotConfirmed()).toBeLessThanOrEqual(failedAt);
    expect(await checkpoint('user_db')).toBe(before);
    // Fix, restart: the stopped service catches up from its checkpoint.
    await running.stop();
    await query(dbs.serviceUrls.user_db, `ALTER TABLE roles DROP CONSTRAINT no_forbidden`);
    running = await startSidecar(dbs);
    await running.sync();
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
  });

  it('a legacy column the mapping needs disappears (DDL): the service stops naming the column', async () => {
    await query(dbs.legacyUrl, `INSERT INTO scraper_tasks (id, url, kind, status) VALUES (1, 'u', 'k', 's')`);
    await running.sync();
    await query(dbs.legacyUrl, `ALTER TABLE scraper_tasks DROP COLUMN kind; UPDATE scraper_tasks SET status = 'x' WHERE id = 1; INSERT INTO roles (id, name) VALUES (1, 'still applied')`);
    const message = await waitFor('scraper_db to stop', () => stoppedMessage('scraper_db'));
    expect(message).toMatch(/^scraper_db stopped at the source transaction committed at LSN .*legacy table public\.scraper_tasks has no column kind, which its mapping reads/);
    await waitFor('user_db to apply', async () => (await query(dbs.serviceUrls.user_db, 'SELECT 1 FROM roles WHERE id = 1')).length === 1);
  });

  it('a filter column not sent (unchanged TOAST) stops the service and says to set REPLICA IDENTITY FULL', async () => {
    await query(dbs.legacyUrl, `INSERT INTO documents (id, title, document_type) VALUES (1, 'd', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 70) g))`); // 2240 bytes: out of line, yet short enough for the target's key index
    await running.sync();
    await query(dbs.legacyUrl, `UPDATE documents SET title = 'renamed' WHERE id = 1; INSERT INTO roles (id, name) VALUES (1, 'still applied')`);
    const message = await waitFor('document_db to stop', () => stoppedMessage('document_db'));
    expect(message).toMatch(/legacy table documents \(id=1\).*document_type.*REPLICA IDENTITY FULL/);
    await waitFor('user_db to apply', async () => (await query(dbs.serviceUrls.user_db, 'SELECT 1 FROM roles WHERE id = 1')).length === 1);
  });

  it('a target restart and a dropped legacy connection are retried without loss', async () => {
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (1, 'a')`);
    await running.sync();
    // Terminate pgcarve's connections: the walsender on the legacy side, the writers on the targets.
    await query(dbs.legacyUrl, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [dbs.slot]);
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (2, 'b'); INSERT INTO scraper_tasks (id, url, kind, status) VALUES (1, 'u', 'k', 's')`);
    for (const service of ['user_db', 'scraper_db'] as const) {
      await query(dbs.adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [new URL(dbs.serviceUrls[service]).pathname.slice(1)]);
    }
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (3, 'c'); UPDATE scraper_tasks SET status = 't' WHERE id = 1`);
    await running.sync();
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
    expect(running.sidecar.writers.every((w) => w.state.kind === 'running')).toBe(true);
  });
});
