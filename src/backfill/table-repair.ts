import type pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Logger } from '../log.js';
import { deriveUpsert, sourceKeyOf, type OpSink } from '../router/derive-ops.js';
import type { TextValue } from '../values.js';
import type { RoutedTable, RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { loadTableShapes, type TableShape } from '../targets/table-shape.js';
import type { BackfillObserver } from './backfill-observer.js';
import { encodeChunk, type ChunkDeletes } from '../source/chunk-message.js';
import { CHUNK_PREFIX } from '../source/wal-messages.js';
import { LegacyRowFactory } from '../source/legacy-row.js';
import { connectLegacyText, legacyColumns } from './legacy-session.js';
import { renamedKey, targetKeysInRange, type ChunkRange } from './target-key-range.js';
import { connect } from '../pg/with-client.js';
import { pause } from '../pause.js';

export interface RepairTableOptions {
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly routing: RoutingTable;
  readonly table: string;
  readonly services: readonly ServiceName[];
  /** Legacy rows per chunk to start with (halved when a chunk is too large). */
  readonly chunkRows: number;
  /** Largest chunk message, in bytes of JSON. */
  readonly maxChunkBytes: number;
  /** How long one chunk may wait for the table lock before it backs off and tries again. */
  readonly lockTimeoutMs: number;
  readonly observer: BackfillObserver;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

export interface RepairTableResult {
  readonly table: string;
  readonly rows: number;
  readonly chunks: number;
  /** Target rows listed for deletion (extra rows: their legacy row does not exist or does not produce them). */
  readonly extraRows: number;
  readonly rowsEstimated: number;
}

/** One owned target of the table in one service, with what is needed to list its rows by key range. */
interface OwnedTarget {
  readonly service: ServiceName;
  readonly client: pg.Client;
  readonly shape: TableShape;
  /** Target column of each legacy key column. */
  readonly columns: readonly string[];
}

/**
 * Re-copies one legacy table into `services` while the sidecar streams, with no long-held snapshot:
 * the table is read in key-ordered chunks, and each chunk travels to the sidecar *through the
 * legacy WAL*, as a transactional logical message the sidecar's router applies in commit order.
 *
 * Why this is race-free: each chunk is read and emitted in one short transaction T that first takes
 * `LOCK TABLE ... IN SHARE MODE`. That lock waits for every transaction that wrote the table to end
 * (a writer keeps its lock until after it is visible), and keeps new writers out until T ends. So
 * the chunk's rows are exactly the table's state in that key range at T's commit, and every change
 * to the table is either before T's commit record in the WAL (and in the rows) or after it (and
 * applied by the stream after the chunk). The router applies the chunk at exactly that point of
 * the stream: the result is what the target would hold had it always been right. No snapshot
 * outlives a chunk; writers of this table wait at most one chunk read (milliseconds), and the lock
 * is only awaited for `lockTimeoutMs` so that it never queues writers behind a long transaction.
 *
 * Extra target rows: before T, the owned target rows of the key range are listed (for targets keyed
 * by the renamed legacy key, when that key sorts without a collation, so that both databases agree
 * on the range); those the chunk's rows do not produce are named in the message and
 * deleted at T's point. That is right whenever the list was read: a target key that the legacy
 * state at T does not produce must not exist at T.
 */
export async function repairTable(options: RepairTableOptions): Promise<RepairTableResult> {
  const routed = options.routing.bySource.get(options.table);
  if (!routed) throw new PgcarveError('bad_input', `no mapping reads legacy table ${options.table}`);
  const legacy = await connectLegacyText(options.legacyUrl, 'pgcarve backfill');
  const targets: OwnedTarget[] = [];
  const clients: pg.Client[] = [];
  try {
    for (const service of options.services) {
      const owned = routed.targets.filter((t) => t.service === service && t.kind === 'owned');
      if (owned.length === 0) continue;
      const client = await connect(options.serviceUrls[service], { doing: `pgcarve backfill of ${options.table}` });
      clients.push(client);
      await client.query("SET TIME ZONE 'UTC'");
      const shapes = await loadTableShapes(client, service, owned.map((t) => t.table));
      for (const target of owned) {
        const columns = renamedKey(target, routed.mapping.sourceKey);
        if (!columns) {
          options.log.warn(`${service}.${target.table}: its key is not the key of ${options.table} under other names, so extra rows there cannot be found by key range; missing and different rows are still repaired`, { service, table: target.table });
          continue;
        }
        targets.push({ service, client, shape: shapes.get(target.table) as TableShape, columns });
      }
    }
    return await new ChunkLoop(options, routed, legacy, targets).run();
  } catch (error) {
    throw classify(error, `pgcarve backfill of ${options.table}`);
  } finally {
    await legacy.end().catch(() => undefined);
    for (const client of clients) await client.end().catch(() => undefined);
  }
}

const keyJson = (values: readonly TextValue[]): string => JSON.stringify(values);

/** Key types whose order is the same in every database (no collation). */
const ORDER_WITHOUT_COLLATION = /^(smallint|integer|bigint|numeric(\(.*\))?|uuid|date|timestamp(\(\d\))? with(out)? time zone)$/;

class ChunkLoop {
  private columns: readonly string[] = [];
  private key: readonly { readonly name: string; readonly type: string }[] = [];
  private factory: LegacyRowFactory | undefined;

  constructor(
    private readonly options: RepairTableOptions,
    private readonly routed: RoutedTable,
    private readonly legacy: pg.Client,
    private targets: readonly OwnedTarget[],
  ) {}

  async run(): Promise<RepairTableResult> {
    const { options } = this;
    const all = await legacyColumns(this.legacy, options.table);
    this.columns = all.map((c) => c.name);
    this.key = this.routed.mapping.sourceKey.map((name) => {
      const column = all.find((c) => c.name === name);
      if (!column) throw new PgcarveError('column_missing', `legacy table public.${options.table} has no key column ${name}, which its mapping declares`);
      return column;
    });
    this.factory = new LegacyRowFactory(options.table, this.columns);
    if (this.targets.length > 0 && !this.key.every((k) => ORDER_WITHOUT_COLLATION.test(k.type))) {
      // Two databases may sort text differently: a target range could then reach keys of another
      // chunk, which would wrongly count as extra. Such keys are not listed at all.
      options.log.warn(`${options.table}: its key (${this.key.map((k) => k.type).join(', ')}) sorts by collation, so extra target rows are not looked for; missing and different rows are still repaired`, { table: options.table });
      this.targets = [];
    }
    const rowsEstimated = await this.estimate();
    for (const service of options.services) options.observer.progress(service, options.table, 0, rowsEstimated);
    let after: readonly TextValue[] | undefined;
    let n = Math.max(1, options.chunkRows);
    let rows = 0;
    let chunks = 0;
    let extraRows = 0;
    let backoff = 25;
    for (;;) {
      if (options.signal?.aborted) throw new PgcarveError('bad_input', `pgcarve backfill of ${options.table} interrupted; run it again`);
      const outcome = await this.chunk(after, n);
      if (outcome.kind === 'too_large') {
        n = Math.max(1, Math.floor(n / 2));
        continue;
      }
      if (outcome.kind === 'locked') {
        if (backoff >= 1_600) options.log.warn(`pgcarve backfill: ${options.table} stays locked by other transactions; still trying`, { table: options.table });
        await pause(backoff + Math.random() * backoff);
        backoff = Math.min(5_000, backoff * 2);
        continue;
      }
      backoff = 25;
      rows += outcome.rows;
      chunks += 1;
      extraRows += outcome.extraRows;
      for (const service of options.services) {
        options.observer.rowsCopied(service, options.table, outcome.rows);
        options.observer.progress(service, options.table, rows, rowsEstimated);
      }
      if (outcome.upTo === undefined) return { table: options.table, rows, chunks, extraRows, rowsEstimated };
      after = outcome.upTo;
      if (n < options.chunkRows) n = Math.min(options.chunkRows, n * 2);
    }
  }

  private async estimate(): Promise<number> {
    const qualified = `public.${this.legacy.escapeIdentifier(this.options.table)}`;
    const stats = await this.legacy.query<{ reltuples: string }>('SELECT reltuples::text AS reltuples FROM pg_class WHERE oid = to_regclass($1)', [qualified]);
    const estimate = Number(stats.rows[0]?.reltuples ?? -1);
    if (estimate >= 0) return estimate;
    const count = await this.legacy.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
    return Number(count.rows[0]?.n ?? 0);
  }

  /** `(k1, k2) > ($1::t1, $2::t2)` and the like, appending to `values`. */
  private compare(op: string, key: readonly TextValue[], values: unknown[]): string {
    const id = (c: string): string => this.legacy.escapeIdentifier(c);
    const params = key.map((v, i) => {
      values.push(v);
      return `$${values.length}::${(this.key[i] as { type: string }).type}`;
    });
    return `(${this.key.map((k) => id(k.name)).join(', ')}) ${op} (${params.join(', ')})`;
  }

  private async chunk(
    after: readonly TextValue[] | undefined,
    n: number,
  ): Promise<{ kind: 'done'; rows: number; extraRows: number; upTo: readonly TextValue[] | undefined } | { kind: 'too_large' } | { kind: 'locked' }> {
    const { legacy, options } = this;
    const id = (c: string): string => legacy.escapeIdentifier(c);
    const table = `public.${id(options.table)}`;
    const order = this.key.map((k) => id(k.name)).join(', ');
    // 1. The chunk's upper key, without locks: the n-th key after `after` (none: to the end).
    const pick: unknown[] = [];
    const pickWhere = after ? ` WHERE ${this.compare('>', after, pick)}` : '';
    pick.push(n - 1);
    const picked = await legacy.query<TextValue[]>({
      text: `SELECT ${this.key.map((k) => `${id(k.name)}::text`).join(', ')} FROM ${table}${pickWhere} ORDER BY ${order} OFFSET $${pick.length} LIMIT 1`,
      values: pick,
      rowMode: 'array',
    });
    let upTo: readonly TextValue[] | undefined = picked.rows[0];
    // 2. The owned target rows of that range (bounded: a target holding many extra rows there
    //    shortens the range instead).
    const cap = Math.max(4 * n, 100);
    let listed: Map<OwnedTarget, readonly (readonly TextValue[])[]>;
    for (;;) {
      listed = new Map();
      let shortened = false;
      for (const target of this.targets) {
        const range: ChunkRange = { after, upTo };
        const keys = await targetKeysInRange(target.client, target.shape, target.columns, range, cap);
        listed.set(target, keys);
        if (keys.length === cap) {
          const last = keys[keys.length - 1] as readonly TextValue[];
          upTo = target.columns.map((c) => last[target.shape.key.indexOf(c)] ?? null);
          shortened = true;
          break;
        }
      }
      if (!shortened) break;
    }
    // 3. The rows, under the table lock, and the message, in one short transaction.
    await legacy.query('BEGIN');
    try {
      await legacy.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs))}`);
      try {
        await legacy.query(`LOCK TABLE ${table} IN SHARE MODE`);
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') {
          await legacy.query('ROLLBACK');
          return { kind: 'locked' };
        }
        if ((error as { code?: string }).code === '42501') {
          throw new PgcarveError('privilege', `pgcarve backfill takes LOCK TABLE ${table} IN SHARE MODE for each chunk, which needs UPDATE, DELETE or TRUNCATE on it: GRANT UPDATE ON ${table} TO the legacy role`, { cause: error });
        }
        throw error;
      }
      const values: unknown[] = [];
      const where = [after ? this.compare('>', after, values) : undefined, upTo ? this.compare('<=', upTo, values) : undefined].filter((w) => w !== undefined);
      values.push(cap + 1);
      const result = await legacy.query<TextValue[]>({
        text: `SELECT ${this.columns.map(id).join(', ')} FROM ${table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT $${values.length}`,
        values,
        rowMode: 'array',
      });
      if (result.rows.length > cap) {
        await legacy.query('ROLLBACK');
        return { kind: 'too_large' };
      }
      const deletes = this.extraRows(result.rows, listed);
      const payload = encodeChunk({ version: 1, table: options.table, services: options.services, columns: this.columns, rows: result.rows, deletes });
      if (Buffer.byteLength(payload) > options.maxChunkBytes && result.rows.length > 1) {
        await legacy.query('ROLLBACK');
        return { kind: 'too_large' };
      }
      await legacy.query('SELECT pg_logical_emit_message(true, $1, $2)', [CHUNK_PREFIX, payload]);
      await legacy.query('COMMIT');
      return { kind: 'done', rows: result.rows.length, extraRows: deletes.reduce((sum, d) => sum + d.keys.length, 0), upTo };
    } catch (error) {
      await legacy.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** The listed target keys that the chunk's rows do not produce. */
  private extraRows(rows: readonly (readonly TextValue[])[], listed: ReadonlyMap<OwnedTarget, readonly (readonly TextValue[])[]>): ChunkDeletes[] {
    const produced = new Set<string>();
    const shapes = new Map(this.targets.map((t) => [`${t.service}.${t.shape.name}`, t.shape]));
    const sink: OpSink = (service, op) => {
      if (op.kind !== 'upsert') return;
      const shape = shapes.get(`${service}.${op.table}`);
      if (shape) produced.add(`${service}.${op.table}:${keyJson(shape.key.map((c) => op.row[c] ?? null))}`);
    };
    const factory = this.factory as LegacyRowFactory;
    for (const values of rows) {
      const row = factory.row(values);
      deriveUpsert(this.options.routing, this.routed, row, sourceKeyOf(this.routed, row), 'update', sink);
    }
    const deletes: ChunkDeletes[] = [];
    for (const [target, keys] of listed) {
      const extra = keys.filter((k) => !produced.has(`${target.service}.${target.shape.name}:${keyJson(k)}`));
      if (extra.length > 0) deletes.push({ service: target.service, table: target.shape.name, columns: target.shape.key, keys: extra });
    }
    return deletes;
  }
}
