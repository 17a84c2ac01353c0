import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { PgcarveError } from '../../src/errors/pgcarve-error.js';
import { silentLogger } from '../../src/log.js';
import { lsnFromBigInt, ZERO_LSN, type Lsn } from '../../src/lsn.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { ReplicationStream } from '../../src/source/replication-stream.js';
import { createSlot, ensurePublication } from '../../src/source/slot.js';
import { TargetWriter } from '../../src/targets/target-writer.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import pg from 'pg';

/**
 * Issue 12, found 9 (suspected; these tests confirm it):
 * (a) a `fail` item that belongs to a source transaction the writer skips (it was applied before,
 *     below the checkpoint) must not stop the writer: the writer would have skipped the change.
 *     It happens after a restart when the slot's acknowledged position is held back by another
 *     service and the replayed transaction now makes a mapping throw (new mapping code, a column
 *     dropped since): the services already past it must keep running.
 * (b) events of a replication connection that outlived its round (destroy() is only waited on for
 *     2 s) must never reach the handlers: a late keepalive would make the router broadcast `idle`
 *     at the old connection's WAL end, and a writer with an empty queue would move its durable
 *     position there, over changes the new round has not delivered again yet.
 */
const L = lsnFromBigInt;
let dbs: TestDatabases;

beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await dbs?.drop();
});

describe('a fail while skipping replayed transactions', () => {
  it('does not stop a writer that skips the transaction it belongs to', async () => {
    const routing = new RoutingTable(LEGACY_RULES);
    const writer = new TargetWriter({
      service: 'user_db',
      url: dbs.serviceUrls.user_db,
      slot: dbs.slot,
      tables: routing.tablesByService.get('user_db') ?? [],
      maxTransactions: 1,
      maxLatencyMs: 0,
      log: silentLogger,
    });
    const session = await writer.openSession();
    const controller = new AbortController();
    const run = writer.runSession(session, controller.signal);
    const transaction = (finalLsn: Lsn, endLsn: Lsn): void => {
      void session.push({ kind: 'begin', finalLsn, commitTimeMs: Date.now() });
      void session.push({ kind: 'commit', endLsn, commitTimeMs: Date.now(), fence: false });
    };
    const reached = (lsn: Lsn) => () => writer.position() >= lsn || writer.state.kind === 'stopped';
    try {
      transaction(L(0x1000n), L(0x2000n));
      await waitFor('the writer to apply up to 0/2000', reached(L(0x2000n)));
      expect(writer.state.kind).toBe('running');

      // A replay of a transaction below the durable position, whose change now fails to map.
      void session.push({ kind: 'begin', finalLsn: L(0x1000n), commitTimeMs: Date.now() });
      void session.push({ kind: 'fail', error: new PgcarveError('mapping_threw', 'the mapping of roles threw') });
      void session.push({ kind: 'commit', endLsn: L(0x2000n), commitTimeMs: Date.now(), fence: false });
      transaction(L(0x3000n), L(0x4000n));
      await waitFor('the writer to apply up to 0/4000 (or stop)', reached(L(0x4000n)));
      expect(writer.state).toEqual({ kind: 'running' });
      expect(writer.position()).toBe(L(0x4000n));
    } finally {
      controller.abort();
      await run.catch(() => undefined);
      writer.closeSession();
    }
  });

  it('still stops a writer that would apply it', async () => {
    const routing = new RoutingTable(LEGACY_RULES);
    const writer = new TargetWriter({
      service: 'scraper_db',
      url: dbs.serviceUrls.scraper_db,
      slot: dbs.slot,
      tables: routing.tablesByService.get('scraper_db') ?? [],
      maxTransactions: 1,
      maxLatencyMs: 0,
      log: silentLogger,
    });
    const session = await writer.openSession();
    const controller = new AbortController();
    const run = writer.runSession(session, controller.signal);
    try {
      void session.push({ kind: 'begin', finalLsn: L(0x5000n), commitTimeMs: Date.now() });
      void session.push({ kind: 'fail', error: new PgcarveError('mapping_threw', 'the mapping of scraper_tasks threw') });
      void session.push({ kind: 'commit', endLsn: L(0x6000n), commitTimeMs: Date.now(), fence: false });
      await waitFor('the writer to stop', () => writer.state.kind === 'stopped');
      expect(writer.position()).toBeLessThan(L(0x6000n));
    } finally {
      controller.abort();
      await run.catch(() => undefined);
      writer.closeSession();
    }
  });
});

describe('a replication connection that outlived its round', () => {
  let start: Lsn = ZERO_LSN;
  beforeAll(async () => {
    const client = new pg.Client(dbs.legacyUrl);
    await client.connect();
    try {
      await ensurePublication(client, dbs.publication, ['roles']);
    } finally {
      await client.end();
    }
    const slot = await createSlot(dbs.legacyUrl, dbs.slot, false);
    await slot.release();
    start = slot.consistentPoint;
  });

  it('cannot deliver a keepalive to the handlers after run() returned', async () => {

    const proxy = await StallingProxy.start(dbs.legacyUrl);
    try {
      const stream = new ReplicationStream({ connectionString: proxy.url, slot: dbs.slot, publication: dbs.publication, statusIntervalMs: 100 });
      const late: Lsn[] = [];
      let returned = false;
      let heartbeats = 0;
      const run = stream.run(start, {
        onEvent: () => undefined,
        onWalEnd: (walEnd) => {
          heartbeats += 1;
          if (returned) late.push(walEnd);
        },
      });
      await waitFor('a keepalive over the first connection', () => heartbeats > 0);
      // The network stalls: the status updates that ask for a keepalive are held in the proxy, and
      // stop() cannot end the connection, so run() gives up waiting on it and returns.
      proxy.stall();
      await waitFor('status updates held by the stalled network', () => proxy.heldToServer > 0);
      await stream.stop();
      await run;
      returned = true;
      // The network comes back: the server answers the held status updates with keepalives on the
      // old connection, then ends it. None of that may reach the handlers of a round that ended.
      proxy.resume();
      await waitFor('the old connection to close', () => proxy.closed > 0);
      expect(late).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('cannot deliver a keepalive to the handlers when it connects only after run() returned', async () => {
    const proxy = await StallingProxy.start(dbs.legacyUrl);
    try {
      const stream = new ReplicationStream({ connectionString: proxy.url, slot: dbs.slot, publication: dbs.publication, statusIntervalMs: 100 });
      const late: Lsn[] = [];
      let returned = false;
      proxy.stall();
      const run = stream.run(start, {
        onEvent: () => undefined,
        onWalEnd: (walEnd) => {
          if (returned) late.push(walEnd);
        },
      });
      await waitFor('the connection to be under way', () => proxy.heldToServer > 0);
      await stream.stop();
      await run.catch(() => undefined);
      returned = true;
      proxy.resume();
      // Another round streams meanwhile (as the sidecar's next round would).
      const next = stream.run(start, { onEvent: () => undefined, onWalEnd: () => undefined });
      next.catch(() => undefined);
      await waitFor('the stalled connection to close', () => proxy.closed > 0, 20_000);
      await stream.stop();
      await next.catch(() => undefined);
      expect(late).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

/** A TCP proxy on 127.0.0.1 in front of the test server that can hold traffic both ways. */
class StallingProxy {
  private stalled = false;
  private readonly held: { readonly to: net.Socket; readonly chunk: Buffer }[] = [];
  private readonly sockets = new Set<net.Socket>();
  heldToServer = 0;
  closed = 0;

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(targetUrl: string): Promise<StallingProxy> {
    const target = new URL(targetUrl);
    let proxy: StallingProxy | undefined;
    const server = net.createServer((downstream) => proxy?.connect(downstream, target.hostname, Number(target.port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(targetUrl);
    url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    proxy = new StallingProxy(server, url.toString());
    return proxy;
  }

  private connect(downstream: net.Socket, host: string, port: number): void {
    const upstream = net.connect(port, host);
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
    }
    const forward = (to: net.Socket, toServer: boolean) => (chunk: Buffer) => {
      if (!this.stalled) {
        to.write(chunk);
        return;
      }
      this.held.push({ to, chunk });
      if (toServer) this.heldToServer += chunk.length;
    };
    downstream.on('data', forward(upstream, true));
    upstream.on('data', forward(downstream, false));
    upstream.on('close', () => {
      this.closed += 1;
      downstream.destroy();
    });
    downstream.on('end', () => {
      // Keep the half-close in order with the held bytes.
      if (this.stalled) this.held.push({ to: upstream, chunk: Buffer.alloc(0) });
      else upstream.end();
    });
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const { to, chunk } of this.held.splice(0)) {
      if (chunk.length === 0) to.end();
      else to.write(chunk);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
