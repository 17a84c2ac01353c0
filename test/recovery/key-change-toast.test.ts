import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/lsn.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/**
 * Issue 12, found 4: under REPLICA IDENTITY DEFAULT a key change carries no unchanged TOASTed
 * values. When the row moves onto a key that the same batch deleted, the target row under that key
 * is another row's: merging the partial update into it would keep the deleted row's content. pgcarve
 * must stop that service with the REPLICA IDENTITY FULL remedy, batched or not, and apply nothing
 * of the transaction.
 */
const BIG = (seed: string): string => `(SELECT '${seed}' || string_agg(md5('${seed}' || g), '') FROM generate_series(1, 400) g)`; // TOASTed: 12.8 kB, incompressible

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

async function checkpoint(): Promise<bigint> {
  const [row] = await query<{ lsn: string }>(dbs.serviceUrls.ai_research_db, 'SELECT lsn::text AS lsn FROM pgcarve.checkpoint WHERE slot = $1', [dbs.slot]);
  return parseLsn(row?.lsn ?? '0/0');
}

describe.each([
  ['batched with other transactions', {}],
  ['one source transaction per batch', { PGCARVE_BATCH_MAX_TRANSACTIONS: '1' }],
])('a key change onto a key deleted in the same transaction, %s', (_, overrides: Record<string, string>) => {
  it('stops ai_research_db with the REPLICA IDENTITY FULL remedy and applies none of it', async () => {
    running = await startSidecar(dbs, overrides);
    await query(
      dbs.legacyUrl,
      `INSERT INTO conversations (id, title) VALUES ('6f1c9a3e-0000-4000-8000-000000000001', 'c');
       INSERT INTO messages (id, conversation_id, role, content, tokens) VALUES
         (1, '6f1c9a3e-0000-4000-8000-000000000001', 'user', ${BIG('A')}, 1),
         (2, '6f1c9a3e-0000-4000-8000-000000000001', 'user', ${BIG('B')}, 2)`,
    );
    await running.sync(60_000);
    const before = await checkpoint();

    await query(
      dbs.legacyUrl,
      `UPDATE messages SET tokens = 3 WHERE id = 1;
       BEGIN; DELETE FROM messages WHERE id = 2; UPDATE messages SET id = 2, tokens = 5 WHERE id = 1; COMMIT;
       INSERT INTO roles (id, name) VALUES (1, 'after')`,
    );
    const [end] = await query<{ lsn: string }>(dbs.legacyUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const writer = running.sidecar.writers.find((w) => w.service === 'ai_research_db');
    await waitFor('ai_research_db to stop or apply everything', async () => writer?.state.kind === 'stopped' || (await checkpoint()) >= parseLsn(end?.lsn ?? '0/0'), 60_000);

    const state = writer?.state;
    expect(state?.kind).toBe('stopped');
    if (state?.kind !== 'stopped') return;
    expect(state.error.kind).toBe('needs_replica_identity_full');
    expect(state.error.message).toContain('messages');
    expect(state.error.message).toContain('REPLICA IDENTITY FULL');
    expect(running.sidecar.ready()).toBe(false);
    // Nothing of the key change reached the target: row 2 is still the old row 2.
    const rows = await query<{ id: string; head: string }>(dbs.serviceUrls.ai_research_db, 'SELECT id::text, left(content, 1) AS head FROM messages ORDER BY id');
    expect(rows.map((r) => r.head)).not.toContain(undefined);
    expect(rows.find((r) => r.id === '2')?.head).toBe('B');
    expect(await checkpoint()).toBeLessThan(parseLsn(end?.lsn ?? '0/0'));
    expect(await checkpoint()).toBeGreaterThanOrEqual(before);
  }, 120_000);
});
