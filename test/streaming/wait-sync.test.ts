import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from './sidecar-fixture.js';

let dbs: TestDatabases;
let running: RunningSidecar;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string; ms: number }> {
  let out = '';
  let err = '';
  const started = Date.now();
  const code = await runCli(args, dbs.env).then((r) => { out += r.stdout; err += r.stderr; return r.code; });
  return { code, out, err, ms: Date.now() - started };
}

beforeAll(async () => {
  dbs = await createTestDatabases();
  running = await startSidecar(dbs);
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

describe('pgcarve wait-sync', () => {
  it('returns 0 promptly when the legacy database is idle', async () => {
    const result = await cli(['wait-sync', '--timeout', '20']);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^all services have applied everything up to the fence at [0-9A-F]+\/[0-9A-F]+\n$/);
    expect(result.ms).toBeLessThan(10_000);
  });

  it('returns 0 once a burst of writes is applied, and the rows are there', async () => {
    await query(dbs.legacyUrl, `INSERT INTO roles (name) SELECT 'r' || g FROM generate_series(1, 2000) g`);
    const result = await cli(['wait-sync', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ inSync: true });
    const [row] = await query<{ n: number }>(dbs.serviceUrls.user_db, 'SELECT count(*)::int AS n FROM roles');
    expect(row?.n).toBe(2000);
  });

  it('rejects a bad --timeout with exit 2', async () => {
    // 0 is a valid timeout: check once, without waiting (test/operator/messages.test.ts).
    for (const bad of ['-1', 'abc', '1e9']) {
      const result = await cli(['wait-sync', `--timeout=${bad}`]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/--timeout must be a number of seconds/);
    }
  });

  it('returns 1 within its timeout when a target is stopped, saying which and by how much', async () => {
    await query(dbs.serviceUrls.document_db, `ALTER TABLE document_types ADD CONSTRAINT no_x CHECK (code <> 'x')`);
    await query(dbs.legacyUrl, `INSERT INTO documents (title, document_type) VALUES ('d', 'x')`);
    await waitFor('document_db to stop', () => running.sidecar.writers.find((w) => w.service === 'document_db')?.state.kind === 'stopped');
    const result = await cli(['wait-sync', '--timeout', '2']);
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(6_000);
    expect(result.err).toMatch(/^not in sync at the fence [0-9A-F]+\/[0-9A-F]+; behind: document_db \(at [0-9A-F]+\/[0-9A-F]+, \d+ bytes behind\)\n$/);
  });
});
