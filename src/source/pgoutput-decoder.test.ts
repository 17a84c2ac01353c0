import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseLsn } from '../lsn.js';
import { createEmptyDatabase } from '../../test/harness/databases.js';
import { PgoutputDecoder, tupleToRecord } from './pgoutput-decoder.js';
import type { PgoutputEvent, RelationEvent } from './pgoutput-events.js';

// ---------------------------------------------------------------------------------------------
// Capturing real pgoutput bytes: a fresh slot per test, peeked (never consumed) after the workload.

/** Slots and replication origins are cluster-wide: names unique to this run of this file. */
const RUN = randomBytes(4).toString('hex');
const ORIGIN = `decoder_${RUN}`;
let databaseUrl: string;
/** Runs the workloads. */
let db: pg.Client;
/** Creates slots and decodes; its settings (TimeZone, DateStyle) shape the text values. */
let decoding: pg.Client;
let slotCount = 0;

const V1 = { proto_version: '1', publication_names: 'pub', messages: 'true' } as const;
const V2_STREAMING = { ...V1, proto_version: '2', streaming: 'on' } as const;

async function capture(workload: () => Promise<unknown>, options: Record<string, string> = V1): Promise<PgoutputEvent[]> {
  const messages = await captureBytes(workload, options);
  const decoder = new PgoutputDecoder();
  return messages.map((message) => decoder.decode(message));
}

async function captureBytes(workload: () => Promise<unknown>, options: Record<string, string>): Promise<Buffer[]> {
  slotCount += 1;
  const slot = `decoder_${RUN}_${slotCount}`;
  await decoding.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  try {
    await workload();
    // The SQL interface decodes flushed WAL only, and neither an abort nor a non-transactional
    // message is flushed at once: force a flush so that the capture is complete.
    await db.query('SELECT pg_switch_wal()');
    const result = await decoding.query<{ data: Buffer }>(
      'SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, VARIADIC $2::text[])',
      [slot, Object.entries(options).flat()],
    );
    return result.rows.map((row) => row.data);
  } finally {
    await decoding.query('SELECT pg_drop_replication_slot($1)', [slot]);
  }
}

async function sql(text: string, values?: readonly unknown[]): Promise<void> {
  await db.query(text, values ? [...values] : undefined);
}

function only<K extends PgoutputEvent['kind']>(events: readonly PgoutputEvent[], kind: K): Extract<PgoutputEvent, { kind: K }>[] {
  return events.filter((event): event is Extract<PgoutputEvent, { kind: K }> => event.kind === kind);
}

function relationNamed(events: readonly PgoutputEvent[], name: string): RelationEvent {
  const relation = only(events, 'relation').find((event) => event.name === name);
  if (!relation) throw new Error(`no relation event for ${name}`);
  return relation;
}

/** A text that pglz cannot shrink below the TOAST threshold: ~32 kB of hex digests. */
const INCOMPRESSIBLE = `(SELECT string_agg(md5(i::text || random()::text), '') FROM generate_series(1, 1000) AS i)`;

beforeAll(async () => {
  databaseUrl = await createEmptyDatabase(inject('pgAdminUrl'), 'decoder');
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client(databaseUrl);
    await client.connect();
    return client;
  };
  db = await connect();
  decoding = await connect();
  await decoding.query(`SET TimeZone = 'UTC'`);
  await sql(`
    CREATE TYPE mood AS ENUM ('calm', 'tense');
    CREATE TABLE kitchen_sink (
      id bigint PRIMARY KEY, big bigint, amount numeric, at timestamptz, local_at timestamp,
      doc jsonb, tags text[], label text, feeling mood, missing text
    );
    CREATE TABLE toasty (id int PRIMARY KEY, body text, counter int);
    CREATE TABLE toasty_full (id int PRIMARY KEY, body text, counter int);
    ALTER TABLE toasty_full REPLICA IDENTITY FULL;
    CREATE TABLE plain (id int PRIMARY KEY, note text);
    CREATE TABLE by_index (a int NOT NULL, b int NOT NULL, note text);
    CREATE UNIQUE INDEX by_index_ab ON by_index (b, a);
    ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_ab;
    CREATE TABLE no_identity (id int, note text);
    ALTER TABLE no_identity REPLICA IDENTITY NOTHING;
    CREATE TABLE parent (id serial PRIMARY KEY);
    CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent);
    CREATE TABLE bulk (id int PRIMARY KEY, payload text);
    CREATE PUBLICATION pub FOR ALL TABLES;
  `);
}, 120_000);

afterAll(async () => {
  await db?.end();
  await decoding?.end();
  if (databaseUrl) {
    const admin = new pg.Client(inject('pgAdminUrl'));
    await admin.connect();
    try {
      await admin.query(`SELECT pg_replication_origin_drop($1) FROM pg_replication_origin WHERE roname = $1`, [ORIGIN]);
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(new URL(databaseUrl).pathname.slice(1))} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
});

// ---------------------------------------------------------------------------------------------

describe('PgoutputDecoder on real pgoutput bytes (protocol v1)', () => {
  it('decodes a transaction: begin, relation, insert, commit', async () => {
    const before = Date.now();
    const events = await capture(() => sql(`INSERT INTO plain VALUES (1, 'one')`));
    expect(events.map((event) => event.kind)).toEqual(['begin', 'relation', 'insert', 'commit']);
    const [begin, relation, insert, commit] = events;
    if (begin?.kind !== 'begin' || commit?.kind !== 'commit') throw new Error('unreachable');
    expect(commit.commitLsn).toBe(begin.finalLsn);
    expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
    expect(commit.commitTime).toBe(begin.commitTime);
    expect(commit.flags).toBe(0);
    const { rows } = await db.query<{ xid: string }>(`SELECT xmin::text AS xid FROM plain WHERE id = 1`);
    expect(begin.xid).toBe(Number(rows[0]?.xid));
    // Microseconds since 2000-01-01, within the test's wall-clock window.
    const commitMs = Number(begin.commitTime / 1000n) + Date.UTC(2000, 0, 1);
    expect(commitMs).toBeGreaterThanOrEqual(before - 1000);
    expect(commitMs).toBeLessThanOrEqual(Date.now() + 1000);
    const { rows: oids } = await db.query<{ oid: number }>(`SELECT 'plain'::regclass::oid AS oid`);
    expect(relation).toEqual({
      kind: 'relation',
      xid: undefined,
      relationId: oids[0]?.oid,
      schema: 'public',
      name: 'plain',
      replicaIdentity: 'default',
      columns: [
        { name: 'id', flags: 1, typeOid: 23, typeMod: -1 },
        { name: 'note', flags: 0, typeOid: 25, typeMod: -1 },
      ],
      keyColumns: ['id'],
    });
    expect(insert).toEqual({ kind: 'insert', xid: undefined, relationId: oids[0]?.oid, newTuple: ['1', 'one'] });
  });

  it('keeps every value exactly as the server prints it, NULLs included', async () => {
    const label = 'emoji 👩‍👩‍👧‍👦 😀, combining e\u0301 vs \u00e9, 中文, \u200b zero-width, quote \' and "';
    const events = await capture(() =>
      sql(
        `INSERT INTO kitchen_sink VALUES (
          9223372036854775807, -9223372036854775808,
          1234567890123456789012345678901234.567890,
          '2024-02-29 23:59:59.123456+00', '1999-12-31 23:59:59.000001',
          '{"b": [1, 2.50, null], "a": "x\\u00e9", "big": 123456789012345678901234567890}',
          ARRAY['plain', 'with,comma', 'with "quote"', NULL, '', 'back\\slash'],
          $1, 'tense', NULL)`,
        [label],
      ),
    );
    const relation = relationNamed(events, 'kitchen_sink');
    const [insert] = only(events, 'insert');
    if (!insert) throw new Error('no insert');
    const row = tupleToRecord(insert.newTuple, relation.columns);
    expect(row).toEqual({
      id: '9223372036854775807',
      big: '-9223372036854775808',
      amount: '1234567890123456789012345678901234.567890',
      at: '2024-02-29 23:59:59.123456+00',
      local_at: '1999-12-31 23:59:59.000001',
      doc: '{"a": "xé", "b": [1, 2.50, null], "big": 123456789012345678901234567890}',
      tags: '{plain,"with,comma","with \\"quote\\"",NULL,"","back\\\\slash"}',
      label,
      feeling: 'tense',
      missing: null,
    });
    // The same text the server gives a query in the decoding session's settings.
    const { rows } = await decoding.query<Record<string, string | null>>(
      `SELECT id::text, big::text, amount::text, at::text, local_at::text, doc::text, tags::text,
              label, feeling::text, missing FROM kitchen_sink`,
    );
    expect(row).toEqual(rows[0]);
  });

  it('sends a type event for a non-built-in column type', async () => {
    const events = await capture(() => sql(`INSERT INTO kitchen_sink (id, feeling) VALUES (2, 'calm')`));
    const { rows } = await db.query<{ oid: number }>(`SELECT 'mood'::regtype::oid AS oid`);
    expect(only(events, 'type')).toEqual([
      { kind: 'type', xid: undefined, typeOid: rows[0]?.oid, schema: 'public', name: 'mood' },
    ]);
    expect(relationNamed(events, 'kitchen_sink').columns.find((c) => c.name === 'feeling')?.typeOid).toBe(rows[0]?.oid);
  });

  it('prints values in the decoding session settings (DateStyle, TimeZone), not the writer\'s', async () => {
    await sql(`INSERT INTO kitchen_sink (id, at) VALUES (3, '2024-01-02 03:04:05.678901+00')`);
    await decoding.query(`SET DateStyle = 'SQL, DMY'; SET TimeZone = 'Europe/Paris'`);
    try {
      const events = await capture(() => sql(`UPDATE kitchen_sink SET big = 0 WHERE id = 3`));
      expect(only(events, 'update').map((update) => update.newTuple[3])).toEqual(['02/01/2024 04:04:05.678901 CET']);
    } finally {
      await decoding.query(`RESET DateStyle; SET TimeZone = 'UTC'`);
    }
  });

  it('marks unchanged TOASTed values as undefined, never null (REPLICA IDENTITY DEFAULT)', async () => {
    await sql(`INSERT INTO toasty VALUES (1, ${INCOMPRESSIBLE}, 0)`);
    const events = await capture(() => sql(`UPDATE toasty SET counter = counter + 1 WHERE id = 1`));
    const [update] = only(events, 'update');
    expect(update).toEqual({
      kind: 'update',
      xid: undefined,
      relationId: relationNamed(events, 'toasty').relationId,
      keyTuple: undefined,
      oldTuple: undefined,
      newTuple: ['1', undefined, '1'],
    });
    const record = tupleToRecord(update?.newTuple ?? [], relationNamed(events, 'toasty').columns);
    expect('body' in record && record.body === undefined).toBe(true);
  });

  it('sends the whole old row under REPLICA IDENTITY FULL, TOASTed value included', async () => {
    await sql(`INSERT INTO toasty_full VALUES (1, ${INCOMPRESSIBLE}, 0)`);
    const { rows } = await db.query<{ body: string }>(`SELECT body FROM toasty_full WHERE id = 1`);
    const body = rows[0]?.body;
    expect(body).toHaveLength(32_000);
    const events = await capture(async () => {
      await sql(`UPDATE toasty_full SET counter = 7 WHERE id = 1`);
      await sql(`DELETE FROM toasty_full WHERE id = 1`);
    });
    const relation = relationNamed(events, 'toasty_full');
    expect(relation.replicaIdentity).toBe('full');
    // Under FULL every column is flagged as key: the primary key is not visible here.
    expect(relation.keyColumns).toEqual(['id', 'body', 'counter']);
    const [update] = only(events, 'update');
    expect(update?.keyTuple).toBeUndefined();
    expect(update?.oldTuple).toEqual(['1', body, '0']);
    expect(update?.newTuple).toEqual(['1', undefined, '7']);
    expect(only(events, 'delete')).toEqual([
      { kind: 'delete', xid: undefined, relationId: relation.relationId, keyTuple: undefined, oldTuple: ['1', body, '7'] },
    ]);
  });

  it('sends the old key (K) when an update changes the key, and on delete', async () => {
    await sql(`INSERT INTO plain VALUES (10, 'ten')`);
    const events = await capture(async () => {
      await sql(`UPDATE plain SET id = 11, note = 'eleven' WHERE id = 10`);
      await sql(`UPDATE plain SET note = 'still eleven' WHERE id = 11`);
      await sql(`DELETE FROM plain WHERE id = 11`);
    });
    const relationId = relationNamed(events, 'plain').relationId;
    expect(only(events, 'update')).toEqual([
      { kind: 'update', xid: undefined, relationId, keyTuple: ['10', null], oldTuple: undefined, newTuple: ['11', 'eleven'] },
      { kind: 'update', xid: undefined, relationId, keyTuple: undefined, oldTuple: undefined, newTuple: ['11', 'still eleven'] },
    ]);
    expect(only(events, 'delete')).toEqual([
      { kind: 'delete', xid: undefined, relationId, keyTuple: ['11', null], oldTuple: undefined },
    ]);
  });

  it('reports replica identity USING INDEX and NOTHING', async () => {
    const events = await capture(async () => {
      await sql(`INSERT INTO by_index VALUES (1, 2, 'x')`);
      await sql(`UPDATE by_index SET a = 5 WHERE a = 1`);
      await sql(`INSERT INTO no_identity VALUES (1, 'x')`);
    });
    const byIndex = relationNamed(events, 'by_index');
    expect(byIndex.replicaIdentity).toBe('index');
    expect(byIndex.keyColumns).toEqual(['a', 'b']); // column order, not index order
    const [update] = only(events, 'update');
    expect(update?.keyTuple).toEqual(['1', '2', null]);
    const noIdentity = relationNamed(events, 'no_identity');
    expect(noIdentity.replicaIdentity).toBe('nothing');
    expect(noIdentity.keyColumns).toEqual([]);
  });

  it('decodes a truncate of two tables with CASCADE and RESTART IDENTITY', async () => {
    await sql(`INSERT INTO parent DEFAULT VALUES; INSERT INTO child (parent_id) VALUES (1)`);
    const events = await capture(async () => {
      await sql(`TRUNCATE parent, plain RESTART IDENTITY CASCADE`);
      await sql(`TRUNCATE plain`);
    });
    const ids = (name: string): number => relationNamed(events, name).relationId;
    const truncates = only(events, 'truncate');
    expect(truncates).toHaveLength(2);
    expect(truncates[0]?.cascade).toBe(true);
    expect(truncates[0]?.restartIdentity).toBe(true);
    // The cascaded table is included.
    expect([...(truncates[0]?.relationIds ?? [])].sort()).toEqual([ids('parent'), ids('plain'), ids('child')].sort());
    expect(truncates[1]).toEqual({ kind: 'truncate', xid: undefined, relationIds: [ids('plain')], cascade: false, restartIdentity: false });
  });

  it('decodes transactional and non-transactional logical messages', async () => {
    let transactionalLsn = '';
    let immediateLsn = '';
    const events = await capture(async () => {
      await sql('BEGIN');
      const { rows } = await db.query<{ lsn: string }>(
        `SELECT pg_logical_emit_message(true, 'pgcarve.fence', 'fence 42 ✓') AS lsn`,
      );
      transactionalLsn = rows[0]?.lsn ?? '';
      await sql('COMMIT');
      const { rows: more } = await db.query<{ lsn: string }>(
        `SELECT pg_logical_emit_message(false, 'préfixe', '\\x00ff0a'::bytea) AS lsn`,
      );
      immediateLsn = more[0]?.lsn ?? '';
    });
    expect(events.map((event) => event.kind)).toEqual(['begin', 'message', 'commit', 'message']);
    expect(events[1]).toEqual({
      kind: 'message',
      xid: undefined,
      transactional: true,
      messageLsn: parseLsn(transactionalLsn),
      prefix: 'pgcarve.fence',
      content: Buffer.from('fence 42 ✓'),
    });
    expect(events[3]).toEqual({
      kind: 'message',
      xid: undefined,
      transactional: false,
      messageLsn: parseLsn(immediateLsn),
      prefix: 'préfixe',
      content: Buffer.from([0x00, 0xff, 0x0a]),
    });
  });

  it('decodes the origin of a replicated transaction', async () => {
    const events = await capture(async () => {
      await sql(`SELECT pg_replication_origin_create($1)`, [ORIGIN]);
      await sql(`SELECT pg_replication_origin_session_setup($1)`, [ORIGIN]);
      await sql('BEGIN');
      await sql(`SELECT pg_replication_origin_xact_setup('AB/CDEF0123', now())`);
      await sql(`INSERT INTO plain VALUES (20, 'from upstream')`);
      await sql('COMMIT');
      await sql(`SELECT pg_replication_origin_session_reset()`);
    });
    expect(events.map((event) => event.kind)).toEqual(['begin', 'origin', 'relation', 'insert', 'commit']);
    expect(events[1]).toEqual({ kind: 'origin', originLsn: parseLsn('AB/CDEF0123'), name: ORIGIN });
  });

  it('produces nothing for a rolled-back transaction', async () => {
    const events = await capture(async () => {
      await sql('BEGIN');
      await sql(`INSERT INTO plain VALUES (30, 'never')`);
      await sql(`SELECT pg_logical_emit_message(true, 'never', 'never')`);
      await sql('ROLLBACK');
    });
    expect(events).toEqual([]);
  });

  it('rejects binary-format values with a clear error', async () => {
    const bytes = await captureBytes(() => sql(`INSERT INTO plain VALUES (40, 'binary')`), { ...V1, binary: 'true' });
    const decoder = new PgoutputDecoder();
    expect(() => bytes.map((message) => decoder.decode(message))).toThrow(/column 1 in binary format.*binary 'true'/);
  });
});

describe('PgoutputDecoder on streamed transactions (protocol v2)', () => {
  beforeAll(async () => {
    // The smallest allowed: any transaction past 64 kB of changes is streamed before it commits.
    await decoding.query(`SET logical_decoding_work_mem = '64kB'`);
    await sql(`INSERT INTO bulk SELECT i, 'old' FROM generate_series(-5, -1) AS i`);
  });

  it('decodes stream start/stop/commit and the xid carried by streamed changes', async () => {
    let xid = 0;
    const events = await capture(async () => {
      await sql('BEGIN');
      const { rows } = await db.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
      xid = Number(rows[0]?.xid);
      await sql(`INSERT INTO bulk SELECT i, repeat('x', 100) FROM generate_series(1, 3000) AS i`);
      await sql(`SELECT pg_logical_emit_message(true, 'in-stream', 'hello')`);
      await sql(`UPDATE bulk SET payload = 'changed' WHERE id = -5`);
      await sql(`DELETE FROM bulk WHERE id = -4`);
      await sql(`TRUNCATE child`);
      await sql('COMMIT');
      await sql(`INSERT INTO plain VALUES (50, 'small, not streamed')`);
    }, V2_STREAMING);
    const kinds = events.map((event) => event.kind);
    expect(kinds[0]).toBe('stream_start');
    expect(events[0]).toEqual({ kind: 'stream_start', xid, firstSegment: true });
    const starts = only(events, 'stream_start');
    expect(starts.length).toBeGreaterThan(1);
    expect(starts.slice(1).every((start) => start.xid === xid && !start.firstSegment)).toBe(true);
    expect(only(events, 'stream_stop')).toHaveLength(starts.length);
    // Inside the stream every change, relation and message carries the xid.
    const streamed = events.slice(0, kinds.indexOf('stream_commit'));
    const carriers = streamed.filter((event) => 'relationId' in event || 'relationIds' in event || event.kind === 'message');
    expect(new Set(carriers.map((event) => ('xid' in event ? event.xid : 'none')))).toEqual(new Set([xid]));
    expect(only(streamed, 'insert')).toHaveLength(3000);
    expect(only(streamed, 'insert')[2999]?.newTuple).toEqual(['3000', 'x'.repeat(100)]);
    expect(only(streamed, 'message')).toMatchObject([{ transactional: true, prefix: 'in-stream', xid }]);
    expect(only(streamed, 'update')).toMatchObject([{ newTuple: ['-5', 'changed'], xid }]);
    expect(only(streamed, 'delete')).toMatchObject([{ keyTuple: ['-4', null], xid }]);
    expect(only(streamed, 'truncate')).toMatchObject([{ relationIds: [relationNamed(events, 'child').relationId], xid }]);
    const commit = events[kinds.indexOf('stream_commit')];
    if (commit?.kind !== 'stream_commit') throw new Error('no stream_commit');
    expect(commit.xid).toBe(xid);
    expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
    // After the stream, a small transaction is plain begin/commit without xids.
    expect(kinds.slice(kinds.indexOf('stream_commit') + 1)).toEqual(['begin', 'relation', 'insert', 'commit']);
    expect(only(events, 'insert').at(-1)).toEqual({
      kind: 'insert',
      xid: undefined,
      relationId: relationNamed(events, 'plain').relationId,
      newTuple: ['50', 'small, not streamed'],
    });
  });

  it('decodes the stream abort of a subtransaction, whose changes carry its own xid', async () => {
    const events = await capture(async () => {
      await sql('BEGIN');
      await sql(`INSERT INTO bulk SELECT i, repeat('y', 100) FROM generate_series(10001, 11000) AS i`);
      await sql('SAVEPOINT s');
      await sql(`INSERT INTO bulk SELECT i, repeat('z', 100) FROM generate_series(20001, 23000) AS i`);
      await sql('ROLLBACK TO SAVEPOINT s');
      await sql(`INSERT INTO bulk SELECT i, repeat('w', 100) FROM generate_series(30001, 33000) AS i`);
      await sql('COMMIT');
    }, V2_STREAMING);
    const [abort] = only(events, 'stream_abort');
    const [commit] = only(events, 'stream_commit');
    if (!abort || !commit) throw new Error('expected a stream abort and a stream commit');
    expect(abort.subXid).not.toBe(abort.xid);
    expect(abort.xid).toBe(commit.xid);
    expect(abort.abortLsn).toBeUndefined();
    // Each streamed change names the (sub)transaction that made it. ROLLBACK TO keeps the
    // savepoint, so the 'w' rows are in a second subtransaction.
    const xidsByPayload = new Map<string, Set<number | undefined>>();
    for (const insert of only(events, 'insert')) {
      const payload = insert.newTuple[1]?.[0] ?? '?';
      xidsByPayload.set(payload, (xidsByPayload.get(payload) ?? new Set()).add(insert.xid));
    }
    expect(xidsByPayload.get('y')).toEqual(new Set([abort.xid]));
    expect(xidsByPayload.get('z')).toEqual(new Set([abort.subXid]));
    expect(xidsByPayload.get('w')?.size).toBe(1);
    expect(xidsByPayload.get('w')).not.toContain(abort.xid);
    expect(xidsByPayload.get('w')).not.toContain(abort.subXid);
  });

  it('decodes the stream abort of a whole transaction', async () => {
    const events = await capture(async () => {
      await sql('BEGIN');
      await sql(`INSERT INTO bulk SELECT i, repeat('v', 100) FROM generate_series(40001, 43000) AS i`);
      await sql('ROLLBACK');
    }, V2_STREAMING);
    const [start] = only(events, 'stream_start');
    expect(start?.firstSegment).toBe(true);
    // Decoded after the fact, the server knows the transaction aborted and may stream nothing of it.
    expect(only(events, 'stream_abort')).toEqual([
      { kind: 'stream_abort', xid: start?.xid, subXid: start?.xid, abortLsn: undefined, abortTime: undefined },
    ]);
    expect(events.at(-1)?.kind).toBe('stream_abort');
  });
});

describe('PgoutputDecoder on malformed input', () => {
  it.each([
    ['an unknown message type', Buffer.from([0x5a]), /unknown pgoutput message type 'Z' \(0x5a\)/],
    ['an empty message', Buffer.alloc(0), /empty pgoutput message/],
    ['a two-phase message', Buffer.from([0x50]), /two-phase message 'P'/],
    ['a truncated begin', Buffer.from([0x42, 0, 0, 0]), /truncated/],
    ['a truncated text value', Buffer.from([0x49, 0, 0, 0, 1, 0x4e, 0, 1, 0x74, 0, 0, 0, 9, 0x61]), /truncated in column 1/],
    ['an unknown value kind', Buffer.from([0x49, 0, 0, 0, 1, 0x4e, 0, 1, 0x78]), /column 1 has unknown kind 'x'/],
    ['an insert without N', Buffer.from([0x49, 0, 0, 0, 1, 0x4b, 0, 0]), /insert message has tuple marker 'K'/],
    ['trailing bytes', Buffer.from([0x45, 0]), /stream_stop message has 1 unexpected trailing bytes/],
  ])('rejects %s', (_name, bytes, error) => {
    expect(() => new PgoutputDecoder().decode(bytes)).toThrow(error);
    expect(() => new PgoutputDecoder().decode(bytes)).toThrow(expect.objectContaining({ name: 'PgcarveError', kind: 'internal' }));
  });
});

describe('tupleToRecord', () => {
  const columns = [
    { name: 'id', flags: 1, typeOid: 23, typeMod: -1 },
    { name: 'body', flags: 0, typeOid: 25, typeMod: -1 },
    { name: 'gone', flags: 0, typeOid: 25, typeMod: -1 },
  ];

  it('keys values by column name, keeping null and undefined apart', () => {
    const record = tupleToRecord(['1', undefined, null], columns);
    expect(record).toEqual({ id: '1', body: undefined, gone: null });
    expect(Object.keys(record)).toEqual(['id', 'body', 'gone']);
  });

  it('keeps a column named __proto__ as a column', () => {
    const record = tupleToRecord(['x'], [{ name: '__proto__', flags: 0, typeOid: 25, typeMod: -1 }]);
    expect(Object.keys(record)).toEqual(['__proto__']);
    expect(record['__proto__']).toBe('x');
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });

  it('rejects a tuple that does not match its relation', () => {
    expect(() => tupleToRecord(['1'], columns)).toThrow(/1 columns but its relation has 3/);
  });
});
