import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusView } from '../../src/http/status-view.js';
import { parseLsn } from '../../src/lsn.js';
import { SERVICES } from '../../mappings/services.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query } from '../streaming/sidecar-fixture.js';
import { seedLegacy } from './legacy-workload.js';
import { sample, startObservedSidecar, type ObservedSidecar } from './observed-sidecar.js';
import { runCli } from '../harness/run-cli.js';

let dbs: TestDatabases;
let observed: ObservedSidecar;
const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/;
const SECRET = 'row-value-7f3a9c';
const TOKEN = 'test-token-0123456789abcdef';

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs, { driftIntervalSeconds: 1, env: { PGCARVE_HTTP_TOKEN: TOKEN } });
  await seedLegacy(dbs.legacyUrl, { users: 50, documents: 50, activityLogs: 50, businessActivities: 50, messages: 10, scraperTasks: 20 });
  await query(dbs.legacyUrl, `INSERT INTO users (email, password_hash, role_id, bio) VALUES ($1, 'x', 1, $1)`, [`${SECRET}@example.test`]);
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

const get = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${observed.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}` } });

describe('the HTTP API', () => {
  it('serves /healthz, /readyz, /metrics and a 404 that lists the routes', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(sample(text, 'pgcarve_ready')).toBe(1);
    expect(sample(text, 'pgcarve_source_connected')).toBe(1);
    expect(sample(text, 'pgcarve_slot_wal_status', { status: 'reserved' })).toBe(1);
    expect(sample(text, 'pgcarve_slot_retained_wal_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'pgcarve_transactions_applied_total', { service: 'user_db' })).toBeGreaterThan(0);
    expect(sample(text, 'pgcarve_changes_applied_total', { service: 'user_db', table: 'users', op: 'insert' })).toBe(51);
    expect(text).not.toContain(SECRET);
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('/sync');
  });

  it('/status: phase, slot, positions as X/Y, lag, writers, drift, unrouted tables; no secret or row value', async () => {
    await observed.verifier.nextPass();
    const response = await get('/status');
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).not.toContain(SECRET);
    expect(body).not.toMatch(/postgres(ql)?:\/\//);
    const status = JSON.parse(body) as StatusView;
    expect(status.sidecar).toEqual({ reachable: true, phase: 'streaming', ready: true, sourceConnected: true, lastError: null });
    expect(status.slot).toMatchObject({ name: dbs.slot, publication: dbs.publication, exists: true, active: true, walStatus: 'reserved', safeWalSizeBytes: 'unlimited' });
    expect(status.legacyLsn).toMatch(LSN);
    expect(status.acknowledgedLsn).toMatch(LSN);
    expect(status.services.map((s) => s.service)).toEqual([...SERVICES]);
    for (const s of status.services) {
      expect(s.appliedLsn).toMatch(LSN);
      expect(s.checkpointLsn).toMatch(LSN);
      expect(s.writer).toEqual({ state: 'running', errorKind: null, error: null });
      expect(s.backfill).toEqual([]);
      expect(s.drift).toMatchObject({ outcome: 'verified', driftRows: 0, tables: [] });
      expect(typeof s.lagBytes).toBe('number');
    }
    expect(status.unroutedTables).toEqual([]);
    expect(status.excludedTables.map((e) => e.table).sort()).toEqual(['business_setup', 'sessions']);
  });

  it('POST /fence returns its LSN; GET /sync long-polls until every service applied a new fence', async () => {
    const fence = await get('/fence', { method: 'POST' });
    expect(fence.status).toBe(200);
    const { fenceLsn } = (await fence.json()) as { fenceLsn: string };
    expect(fenceLsn).toMatch(LSN);
    await query(dbs.legacyUrl, `INSERT INTO roles (name) VALUES ('after the fence')`);
    const sync = await get('/sync?timeout=20');
    expect(sync.status).toBe(200);
    const body = (await sync.json()) as { inSync: boolean; fenceLsn: string; services: { service: string; behindBytes: number }[] };
    expect(body.inSync).toBe(true);
    expect(parseLsn(body.fenceLsn)).toBeGreaterThan(parseLsn(fenceLsn));
    expect(body.services.map((s) => [s.service, s.behindBytes])).toEqual(SERVICES.map((s) => [s, 0]));
    const [role] = await query(dbs.serviceUrls.user_db, `SELECT 1 FROM roles WHERE name = 'after the fence'`);
    expect(role).toBeDefined();
  });

  it('GET /sync answers 400 with the reason for a bad timeout or parameter', async () => {
    for (const [path, reason] of [
      ['/sync?timeout=abc', /timeout must be a number of seconds from 0 to 300, got "abc"/],
      ['/sync?timeout=-1', /timeout must be a number of seconds/],
      ['/sync?timeout=', /timeout must be a number of seconds/],
      ['/sync?timeout=1e3', /timeout must be a number of seconds/],
      ['/sync?timeout=301', /timeout must be at most 300 seconds/],
      ['/sync?timeout=1&timeout=2', /timeout must be given once/],
      ['/sync?wait=5', /unknown query parameter "wait"/],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error, path).toMatch(reason);
    }
  });

  it('GET /sync answers 504 with who is behind when the timeout passes', async () => {
    // Hold user_db's writer on a lock: it cannot apply the next legacy change to roles.
    const locker = new pg.Client(dbs.serviceUrls.user_db);
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE roles IN SHARE MODE');
      await query(dbs.legacyUrl, `INSERT INTO roles (name) VALUES ('blocked')`);
      const started = Date.now();
      const response = await get('/sync?timeout=1.5');
      const waited = Date.now() - started;
      expect(response.status).toBe(504);
      const body = (await response.json()) as { inSync: boolean; timeoutSeconds: number; behind: { service: string; writerState: string; behindBytes: number }[] };
      expect(body.inSync).toBe(false);
      expect(body.timeoutSeconds).toBe(1.5);
      expect(body.behind.map((b) => b.service)).toEqual(['user_db']);
      expect(body.behind[0]).toMatchObject({ writerState: 'running' });
      expect(body.behind[0]?.behindBytes).toBeGreaterThan(0);
      expect(waited).toBeGreaterThanOrEqual(1_500);
      expect(waited).toBeLessThan(5_000);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect((await get('/sync?timeout=20')).status).toBe(200);
  });

  it('pgcarve status reads the databases, adds the sidecar view when it answers, and prints a table', async () => {
    const port = new URL(observed.url).port;
    const withSidecar = await runCli(['status', '--json'], { ...dbs.env, PGCARVE_HTTP_PORT: port });
    expect(withSidecar.code, withSidecar.stderr).toBe(0);
    const view = JSON.parse(withSidecar.stdout) as StatusView;
    expect(view.sidecar.reachable).toBe(true);
    expect(view.sidecar.phase).toBe('streaming');
    expect(view.services.every((s) => s.writer.state === 'running' && LSN.test(s.checkpointLsn ?? ''))).toBe(true);
    expect(withSidecar.stdout).not.toContain(SECRET);

    const alone = await runCli(['status', '--json'], { ...dbs.env, PGCARVE_HTTP_PORT: '1' });
    expect(alone.code, alone.stderr).toBe(0);
    const databasesOnly = JSON.parse(alone.stdout) as StatusView;
    expect(databasesOnly.sidecar).toEqual({ reachable: false, phase: null, ready: null, sourceConnected: null, lastError: null });
    expect(databasesOnly.slot).toMatchObject({ exists: true, walStatus: 'reserved' });
    expect(databasesOnly.unroutedTables).toEqual([]);
    expect(databasesOnly.services.every((s) => s.writer.state === 'unknown' && LSN.test(s.checkpointLsn ?? '') && s.lagBytes !== null)).toBe(true);

    const text = await runCli(['status'], { ...dbs.env, PGCARVE_HTTP_PORT: port });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^sidecar: streaming, ready/);
    expect(text.stdout).toMatch(/SERVICE\s+WRITER\s+APPLIED\s+CHECKPOINT\s+LAG\s+LAG S\s+BACKFILL\s+DRIFT/);
    for (const service of SERVICES) expect(text.stdout).toMatch(new RegExp(`\\n${service}\\s+running\\s+[0-9A-F]+/[0-9A-F]+`));
  });

  it('GET /sync answers 504 at once when a writer is stopped, with its reason', async () => {
    // A constraint the service database has and the legacy one does not: scraper_db's writer stops.
    await query(dbs.serviceUrls.scraper_db, `ALTER TABLE scraper_tasks ADD CONSTRAINT no_boom CHECK (status <> 'boom') NOT VALID`);
    await query(dbs.legacyUrl, `UPDATE scraper_tasks SET status = 'boom' WHERE id = 1`);
    await waitFor('scraper_db writer stopped', () => observed.sidecar.snapshot().services.find((s) => s.service === 'scraper_db')?.state.kind === 'stopped');
    const started = Date.now();
    const response = await get('/sync?timeout=60');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.status).toBe(504);
    const body = (await response.json()) as { behind: { service: string; writerState: string; reason: string }[] };
    expect(body.behind.map((b) => b.service)).toEqual(['scraper_db']);
    expect(body.behind[0]?.writerState).toBe('stopped');
    expect(body.behind[0]?.reason).toMatch(/^writer stopped \(constraint_violation\): .*no_boom/);
    const status = (await (await get('/status')).json()) as StatusView;
    expect(status.services.find((s) => s.service === 'scraper_db')?.writer).toMatchObject({ state: 'stopped', errorKind: 'constraint_violation' });
    expect(status.sidecar.ready).toBe(false);
    expect((await get('/readyz')).status).toBe(503);
  });

  it('a stopped service cannot be verified: "could not verify: service behind", not drift, and no hang', async () => {
    const verify = await runCli(['verify', '--service', 'scraper_db', '--wait-timeout', '2'], dbs.env);
    expect(verify.code).toBe(3);
    expect(verify.stderr).toMatch(/^scraper_db: could not verify: service behind \(its checkpoint \S+ did not reach \S+, where the legacy rows were read, within 2 s\)/);
    const pass = await observed.verifier.nextPass();
    expect(pass.services.find((s) => s.service === 'scraper_db')?.outcome).toMatchObject({ kind: 'behind', reason: expect.stringMatching(/^its writer is stopped: /) });
    expect(pass.services.filter((s) => s.service !== 'scraper_db').every((s) => s.outcome.kind === 'verified')).toBe(true);
    const status = (await (await get('/status')).json()) as StatusView;
    expect(status.services.find((s) => s.service === 'scraper_db')?.drift).toMatchObject({ outcome: 'behind', driftRows: 0 });
  });
});
