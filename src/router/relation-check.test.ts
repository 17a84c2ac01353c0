import { recordingPorts } from '../../test/harness/recording-ports.js';
import { describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import type { RelationEvent, ReplicaIdentity } from '../source/pgoutput-events.js';
import { sourceKeyOf } from './derive-ops.js';
import { relationProblem } from './relation-check.js';
import { RelationMemory } from './relation-memory.js';
import { Router } from './router.js';
import { RoutingTable, type RoutedTable } from './routing-table.js';
import type { WriterItem } from '../targets/writer-item.js';
import { silentLogger } from '../log.js';
import { lsnFromBigInt } from '../lsn.js';

const routing = new RoutingTable(LEGACY_RULES);
const tasks = routing.bySource.get('scraper_tasks') as RoutedTable;

function relation(name: string, replicaIdentity: ReplicaIdentity, keyColumns: readonly string[], relationId = 16_400, schema = 'public'): RelationEvent {
  const columns = ['id', 'url', 'free_zone_id', 'kind', 'status', 'created_at', 'updated_at'].map((c) => ({ name: c, flags: keyColumns.includes(c) ? 1 : 0, typeOid: 25, typeMod: -1 }));
  return { kind: 'relation', relationId, schema, name, replicaIdentity, columns, keyColumns };
}

describe('relationProblem', () => {
  it.each<[string, ReplicaIdentity, readonly string[], boolean]>([
    ['the primary key', 'default', ['id'], false],
    ['an index holding the key', 'index', ['id', 'url'], false],
    ['FULL', 'full', ['id', 'url', 'free_zone_id', 'kind', 'status', 'created_at', 'updated_at'], false],
    ['an index without the key', 'index', ['url'], true],
    ['NOTHING', 'nothing', [], true],
    ['DEFAULT without a primary key', 'default', [], true],
  ])('%s', (_, identity, keys, refused) => {
    const problem = relationProblem(relation('scraper_tasks', identity, keys), tasks);
    expect(problem !== undefined).toBe(refused);
    if (problem) {
      expect(problem.kind).toBe('no_replica_identity');
      expect(problem.message).toContain('public.scraper_tasks');
      expect(problem.message).toContain("mapping's key (id)");
      expect(problem.message).toContain('REPLICA IDENTITY FULL');
    }
  });
});

describe('RelationMemory', () => {
  it('routes by name, then knows the table by its OID: a rename stops its services', () => {
    const memory = new RelationMemory(routing);
    expect(memory.resolve(relation('scraper_tasks', 'default', ['id'])).kind).toBe('routed');
    const renamed = memory.resolve(relation('scraper_tasks_old', 'default', ['id']));
    expect(renamed.kind).toBe('stopped');
    if (renamed.kind !== 'stopped') return;
    expect(renamed.routed).toBe(tasks);
    expect(renamed.error.kind).toBe('table_missing');
    expect(renamed.error.message).toContain('public.scraper_tasks was renamed to public.scraper_tasks_old');
    expect(renamed.error.message).toContain('ALTER TABLE public.scraper_tasks_old RENAME TO scraper_tasks');
    expect(memory.unrouted).toEqual([]);
    // Moved to another schema: the same.
    expect(memory.resolve(relation('scraper_tasks', 'default', ['id'], 16_400, 'archive')).kind).toBe('stopped');
    // Renamed back: routed again.
    expect(memory.resolve(relation('scraper_tasks', 'default', ['id'])).kind).toBe('routed');
  });

  it('reports a relation no mapping reads, and not an excluded one', () => {
    const memory = new RelationMemory(routing);
    expect(memory.resolve(relation('audit_trail', 'default', ['id'], 16_500))).toEqual({ kind: 'unrouted', table: 'public.audit_trail' });
    expect(memory.resolve(relation('sessions', 'default', ['id'], 16_501)).kind).toBe('unrouted');
    expect(memory.resolve(relation('t', 'default', ['id'], 16_502, 'other')).kind).toBe('unrouted');
    expect(memory.unrouted).toEqual(['audit_trail', 'other.t']);
  });
});

describe('sourceKeyOf', () => {
  it('refuses a NULL key: a delete or update by it would match nothing', () => {
    expect(() => sourceKeyOf(tasks, { id: null, url: 'u' })).toThrow(/key column id was NULL/);
    expect(() => sourceKeyOf(tasks, { url: 'u' })).toThrow(/key column id was not sent/);
    expect(sourceKeyOf(tasks, { id: '7', url: 'u' })).toEqual({ id: '7' });
  });
});

describe('Router with a RelationMemory that outlives its round', () => {
  it('stops the services of a table renamed between two rounds at its first change', async () => {
    const received: WriterItem[] = [];
    const ports = recordingPorts('scraper_db', received);
    const memory = new RelationMemory(routing);
    const transaction = async (router: Router, name: string, at: bigint): Promise<void> => {
      await router.handle({ kind: 'begin', finalLsn: lsnFromBigInt(at), commitTime: 0n, xid: 1 });
      await router.handle(relation(name, 'default', ['id']));
      await router.handle({ kind: 'insert', relationId: 16_400, newTuple: ['1', 'u', null, 'k', 's', null, null] });
      await router.handle({ kind: 'commit', flags: 0, commitLsn: lsnFromBigInt(at), endLsn: lsnFromBigInt(at + 8n), commitTime: 0n });
    };
    await transaction(new Router(routing, ports, silentLogger, new AbortController().signal, memory), 'scraper_tasks', 0x1000n);
    expect(received.map((i) => i.kind)).toEqual(['begin', 'ops', 'commit']);
    received.length = 0;
    // The next round's router, with the same memory, hears the table under its new name.
    await transaction(new Router(routing, ports, silentLogger, new AbortController().signal, memory), 'scraper_tasks_old', 0x2000n);
    expect(received.map((i) => i.kind)).toEqual(['begin', 'fail', 'commit']);
    const fail = received[1];
    expect(fail?.kind === 'fail' && fail.error.message).toContain('renamed to public.scraper_tasks_old');
  });
});
