import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { silentLogger } from '../../src/log.js';
import type { Lsn } from '../../src/lsn.js';
import { RoundEnded, Router, type WriterPort } from '../../src/router/router.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { SERVICES } from '../../mappings/services.js';
import { TargetWriter } from '../../src/targets/target-writer.js';
import type { WriterItem } from '../../src/targets/writer-item.js';
import type { WriterSession } from '../../src/targets/writer-session.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query } from '../streaming/sidecar-fixture.js';

/**
 * The pieces of "recovery is a restart" that the sidecar's rounds rely on, each against a real
 * target database: nothing a session of an ended round does reaches the writer or the database,
 * and two sessions that are both alive can never both apply (the checkpoint fence).
 */
let dbs: TestDatabases;
const routing = new RoutingTable(LEGACY_RULES);

beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await dbs?.drop();
});

function writer(): TargetWriter {
  return new TargetWriter({
    service: 'user_db',
    url: dbs.serviceUrls.user_db,
    slot: dbs.slot,
    tables: routing.tablesByService.get('user_db') ?? [],
    maxTransactions: 1,
    maxLatencyMs: 1,
    log: silentLogger,
  });
}

/** One source transaction inserting a role, as the router would send it. */
function transaction(at: bigint, id: number): readonly WriterItem[] {
  return [
    { kind: 'begin', finalLsn: at as Lsn, commitTimeMs: Date.now() },
    { kind: 'ops', ops: [{ kind: 'upsert', table: 'roles', source: 'roles', op: 'insert', row: { id: String(id), name: `role ${id}`, permissions: '[]', created_at: '2026-01-01 00:00:00+00' } }] },
    { kind: 'commit', endLsn: (at + 8n) as Lsn, commitTimeMs: Date.now(), fence: false },
  ];
}

function send(session: WriterSession, items: readonly WriterItem[]): void {
  for (const item of items) void session.push(item);
}

async function roleIds(): Promise<number[]> {
  return (await query<{ id: number }>(dbs.serviceUrls.user_db, 'SELECT id FROM roles ORDER BY id')).map((r) => r.id);
}

async function checkpoint(): Promise<string | undefined> {
  return (await query<{ lsn: string }>(dbs.serviceUrls.user_db, 'SELECT lsn::text AS lsn FROM pgcarve.checkpoint WHERE slot = $1', [dbs.slot]))[0]?.lsn;
}

describe('writer sessions', () => {
  it('a session of an ended round applies nothing and moves nothing, while the new one goes on', async () => {
    const w = writer();
    const first = await w.openSession();
    const firstRound = new AbortController();
    const firstRun = w.runSession(first, firstRound.signal);
    send(first, transaction(0x1000n, 1));
    await waitFor('the first transaction', () => w.position() === 0x1008n);

    // The next round opens its session; the old one is closed, but something of the old round
    // (a router call that was waiting on backpressure) still pushes into it.
    const second = await w.openSession();
    const secondRound = new AbortController();
    const secondRun = w.runSession(second, secondRound.signal);
    send(first, transaction(0x2000n, 2));
    send(second, transaction(0x3000n, 3));
    await waitFor('the second round', () => w.position() === 0x3008n);
    firstRound.abort();
    expect(await firstRun).toEqual({ kind: 'ended' });
    expect(await roleIds()).toEqual([1, 3]);
    expect(await checkpoint()).toBe('0/3008');
    secondRound.abort();
    expect(await secondRun).toEqual({ kind: 'ended' });
    expect(w.state.kind).toBe('running');
  });

  it('of two live sessions of one service, the one whose checkpoint moved underneath is fenced and applies nothing', async () => {
    await query(dbs.serviceUrls.user_db, 'TRUNCATE roles CASCADE; DELETE FROM pgcarve.checkpoint');
    // Two writers (say, a leftover backend of an earlier round still on the server) start from
    // the same checkpoint and both receive the same stream.
    const a = writer();
    const b = writer();
    const sa = await a.openSession();
    const sb = await b.openSession();
    const rounds = new AbortController();
    const runA = a.runSession(sa, rounds.signal);
    const runB = b.runSession(sb, rounds.signal);
    send(sa, transaction(0x1000n, 1));
    await waitFor('a to apply', () => a.position() === 0x1008n);
    send(sb, [...transaction(0x1000n, 1), ...transaction(0x2000n, 2)]);
    const endB = await runB;
    expect(endB.kind).toBe('behind');
    expect(endB.kind === 'behind' && endB.error.kind).toBe('target_fenced');
    expect(b.state.kind).toBe('behind');
    expect(b.position()).toBe(0n);
    // b applied nothing: the second role is not there, and the checkpoint is a's.
    expect(await roleIds()).toEqual([1]);
    expect(await checkpoint()).toBe('0/1008');
    rounds.abort();
    expect(await runA).toEqual({ kind: 'ended' });
  });
});

describe('the router of an ended round', () => {
  it('delivers nothing after its round ends, also from a call that was waiting on backpressure', async () => {
    const delivered: { service: string; item: WriterItem }[] = [];
    let release: () => void = () => undefined;
    const full = new Promise<void>((resolve) => (release = resolve));
    const ports: WriterPort[] = SERVICES.map((service) => ({
      service,
      accepting: true,
      skips: () => false,
      push: (item) => {
        delivered.push({ service, item });
        // scraper_db's queue is full after the begin: the router waits on it.
        return service === 'scraper_db' && item.kind === 'begin' ? full : undefined;
      },
    }));
    const round = new AbortController();
    const router = new Router(routing, ports, silentLogger, round.signal);
    const begin = router.handle({ kind: 'begin', finalLsn: 0x100n as Lsn, commitTime: 0n, xid: 1 });
    round.abort();
    release();
    await expect(begin).rejects.toBeInstanceOf(RoundEnded);
    // The old round's transaction never reaches a commit anywhere.
    await expect(router.handle({ kind: 'commit', flags: 0, commitLsn: 0x100n as Lsn, endLsn: 0x108n as Lsn, commitTime: 0n })).rejects.toBeInstanceOf(RoundEnded);
    expect(delivered.filter((d) => d.item.kind === 'commit')).toEqual([]);
  });
});
