import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TcpProxy } from './tcp-proxy.js';

/** The proxy's controls, against the run's PostgreSQL: forwards, cuts both ways, stalls and resumes. */
let proxy: TcpProxy;
const adminUrl = inject('pgAdminUrl');

beforeAll(async () => {
  proxy = await TcpProxy.start({ upstreamPort: Number(new URL(adminUrl).port) });
});
afterAll(async () => {
  await proxy?.close();
});

async function connect(): Promise<{ client: pg.Client }> {
  const client = new pg.Client({ connectionString: proxy.url(adminUrl), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  return { client };
}

describe('TcpProxy', () => {
  it('refuses a non-loopback upstream', async () => {
    await expect(TcpProxy.start({ upstreamPort: 5432, upstreamHost: '10.0.0.1' })).rejects.toThrow(/loopback only/);
  });

  it('forwards a session, and cutAll() ends it for the client', async () => {
    const { client } = await connect();
    expect((await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
    expect(proxy.connections).toBe(1);
    expect(proxy.cutAll()).toBe(1);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    expect(proxy.connections).toBe(0);
    await client.end().catch(() => undefined);
  });

  it('stall() holds bytes without closing; resume() delivers them', async () => {
    const { client } = await connect();
    const resumed = proxy.stall(60_000);
    let answered = false;
    const answer = client.query<{ n: number }>('SELECT 2 AS n').then((r) => {
      answered = true;
      return r.rows[0]?.n;
    });
    // While stalled nothing can come back, however long we look; a new connection is held too.
    const held = new pg.Client({ connectionString: proxy.url(adminUrl), connectionTimeoutMillis: 30_000 });
    held.on('error', () => undefined);
    let heldConnected = false;
    const heldConnect = held.connect().then(() => (heldConnected = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    expect(heldConnected).toBe(false);
    expect(proxy.connections).toBe(2);
    proxy.resume();
    await resumed;
    expect(await answer).toBe(2);
    await heldConnect;
    expect((await held.query<{ n: number }>('SELECT 3 AS n')).rows[0]?.n).toBe(3);
    await held.end();
    await client.end();
  });

  it('stall(ms) resumes by itself', async () => {
    const { client } = await connect();
    const resumed = proxy.stall(200);
    const answer = client.query<{ n: number }>('SELECT 4 AS n');
    await resumed;
    expect((await answer).rows[0]?.n).toBe(4);
    await client.end();
  });
});
