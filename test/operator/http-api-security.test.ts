import { MAPPINGS } from '../harness/mappings.js';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { legacyFootprint, runCli, secretsIn } from './operator-fixture.js';

const TOKEN = 'a-token-of-32-characters-0123456';
let dbs: TestDatabases;
let guarded: Runtime;
let open: Runtime;

beforeAll(async () => {
  dbs = await createTestDatabases();
  guarded = await startRuntime({ mappings: MAPPINGS, config: loadConfig({ ...dbs.env, PGCARVE_HTTP_TOKEN: TOKEN, PGCARVE_DRIFT_INTERVAL_SECONDS: '0' }), log: silentLogger, defaultMetrics: false });
  await guarded.streaming;
});
afterAll(async () => {
  await guarded?.stop();
  await open?.stop();
  await dbs?.drop();
});

const url = (runtime: Runtime, path: string): string => `http://127.0.0.1:${runtime.httpPort}${path}`;
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

describe('the HTTP API asks for PGCARVE_HTTP_TOKEN on the endpoints that write', () => {
  it('leaves /healthz, /readyz, /metrics and /status open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/status']) {
      expect((await fetch(url(guarded, path))).status, path).toBe(200);
    }
  });

  it('answers 401 to POST /fence and GET /sync without the token or with a wrong one, and never echoes it', async () => {
    for (const init of [{}, bearer('wrong-token-of-some-length'), bearer(`${TOKEN}x`), { headers: { authorization: TOKEN } }]) {
      for (const [path, method] of [['/fence', 'POST'], ['/sync?timeout=0', 'GET']] as const) {
        const response = await fetch(url(guarded, path), { ...init, method });
        expect(response.status, `${method} ${path}`).toBe(401);
        const body = await response.text();
        expect(body).toContain('Authorization: Bearer <token>');
        expect(body).toContain('PGCARVE_HTTP_TOKEN');
        expect(body).not.toContain(TOKEN);
      }
    }
  });

  it('writes the fence with the right token', async () => {
    const fence = await fetch(url(guarded, '/fence'), { ...bearer(TOKEN), method: 'POST' });
    expect(fence.status).toBe(200);
    expect(((await fence.json()) as { fenceLsn: string }).fenceLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect((await fetch(url(guarded, '/sync?timeout=30'), bearer(TOKEN))).status).toBe(200);
  });

  it('turns the writing endpoints off (403, saying what to set) when no token is configured', async () => {
    open = await startRuntime({ mappings: MAPPINGS, config: loadConfig({ ...dbs.env, PGCARVE_DRIFT_INTERVAL_SECONDS: '0' }), log: silentLogger, defaultMetrics: false });
    for (const [path, method] of [['/fence', 'POST'], ['/sync?timeout=0', 'GET']] as const) {
      const response = await fetch(url(open, path), { ...bearer('anything-at-all-here'), method });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(((await response.json()) as { error: string }).error).toMatch(/turned off: set PGCARVE_HTTP_TOKEN/);
    }
    expect((await fetch(url(open, '/metrics'))).status).toBe(200);
  });
});

describe('PGCARVE_HTTP_PORT already in use', () => {
  let holder: Server;
  afterAll(() => new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve())));

  it('exits 3 naming the port and the key, before anything is created on the legacy side', async () => {
    const other = await createTestDatabases();
    try {
      holder = createServer();
      const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
      const result = await runCli(['run'], { ...other.env, PGCARVE_HTTP_PORT: String(port) });
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain(`the HTTP port 127.0.0.1:${port} is already in use`);
      expect(result.stderr).toContain('set PGCARVE_HTTP_PORT');
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(secretsIn(result, other.env)).toEqual([]);
      expect(await legacyFootprint(other)).toEqual({ slot: false, publication: false });
    } finally {
      await other.drop();
    }
  });
});
