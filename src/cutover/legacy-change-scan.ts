import type pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { formatLsn, parseLsn, type Lsn } from '../lsn.js';
import { PgoutputDecoder } from '../source/pgoutput-decoder.js';
import { connect } from '../pg/with-client.js';
import { pause } from '../pause.js';

/** Changes the legacy database committed to one table in an LSN range, as decoded from its WAL. */
export interface TableChanges {
  readonly table: string;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  /** TRUNCATE statements that emptied the table (directly or by CASCADE). */
  readonly truncates: number;
}

/** What one scan checked and found: the commits in (afterLsn, throughLsn] to these tables. */
export interface ChangeScan {
  readonly afterLsn: string;
  readonly throughLsn: string;
  readonly tables: readonly string[];
  /** Legacy transactions decoded in the range (all tables of the publication). */
  readonly transactions: number;
  /** The tables that changed; empty when none did. */
  readonly changes: readonly TableChanges[];
}

/**
 * Rows of decoded output read per call: the memory of a scan stays bounded by it, except that the
 * server finishes the transaction it is in (one huge legacy transaction is read whole).
 */
const ROWS_PER_CALL = 5_000;

/**
 * An exact account of what the legacy database commits to some tables, read from the WAL itself
 * (not from pg_stat_user_tables, which does not count TRUNCATE and is flushed asynchronously): a
 * temporary logical slot of its own, created before the first LSN asked about, decoded with
 * pgoutput on the sidecar's publication by pg_logical_slot_get_binary_changes. The slot belongs to
 * this session and disappears with it (also when the process dies); the sidecar's slot is not
 * touched. Relations are identified by OID (pgoutput's relation id), so relation messages are not
 * needed. Ranges must be asked for in increasing order: the slot is consumed as it is read.
 */
export class LegacyChangeScan {
  private consumedThrough: Lsn;

  private constructor(
    private readonly client: pg.Client,
    /** The temporary slot (gone once closed). */
    readonly slotName: string,
    private readonly publication: string,
    private readonly oids: ReadonlyMap<number, string>,
    private readonly tables: readonly string[],
    readonly startLsn: Lsn,
  ) {
    this.consumedThrough = startLsn;
  }

  static async open(legacyUrl: string, publication: string, tables: readonly string[]): Promise<LegacyChangeScan> {
    const doing = 'creating a temporary logical slot on the legacy database to check that its tables are frozen (needs the REPLICATION attribute and a free replication slot)';
    const client = await connect(legacyUrl, { doing, application: 'pgcarve-cutover-scan' });
    try {
      const found = await client.query<{ oid: string; name: string }>(
        "SELECT c.oid::text AS oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])",
        [tables],
      );
      const slotName = `pgcarve_freeze_${process.pid}_${Date.now().toString(36)}`.replace(/[^a-z0-9_]/g, '_');
      const created = await client.query<{ lsn: string }>("SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput', true)", [slotName]);
      return new LegacyChangeScan(client, slotName, publication, new Map(found.rows.map((r) => [Number(r.oid), r.name])), tables, parseLsn(created.rows[0]?.lsn ?? '0/0'));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classify(error, doing);
    }
  }

  /**
   * The changes to the tables of every legacy transaction whose commit LSN is in (after, through].
   * `after` must not be below the slot's start, nor below a range already read.
   */
  async changesBetween(after: Lsn, through: Lsn): Promise<ChangeScan> {
    if (after < this.startLsn || after < this.consumedThrough) {
      throw new PgcarveError('internal', `change scan asked from ${formatLsn(after)}, but it was read up to ${formatLsn(this.consumedThrough)}`);
    }
    const counts = new Map<string, { inserts: number; updates: number; deletes: number; truncates: number }>();
    const count = (oid: number, op: 'inserts' | 'updates' | 'deletes' | 'truncates'): void => {
      const table = this.oids.get(oid);
      if (table === undefined) return;
      let entry = counts.get(table);
      if (!entry) counts.set(table, (entry = { inserts: 0, updates: 0, deletes: 0, truncates: 0 }));
      entry[op] += 1;
    };
    // Decoding includes only transactions that commit before upto_lsn: through + 1 includes `through`.
    const upto = formatLsn((through + 1n) as Lsn);
    let transactions = 0;
    let inRange = false;
    try {
      await this.waitFlushed(through);
      for (;;) {
        const result = await this.client.query<{ data: Buffer }>(
          `SELECT data FROM pg_logical_slot_get_binary_changes($1, $2::pg_lsn, $3, 'proto_version', '1', 'publication_names', $4)`,
          [this.slotName, upto, ROWS_PER_CALL, this.publication],
        );
        const decoder = new PgoutputDecoder();
        for (const { data } of result.rows) {
          const event = decoder.decode(data);
          if (event.kind === 'begin') {
            inRange = event.finalLsn > after && event.finalLsn <= through;
            if (inRange) transactions += 1;
          } else if (!inRange) continue;
          else if (event.kind === 'insert') count(event.relationId, 'inserts');
          else if (event.kind === 'update') count(event.relationId, 'updates');
          else if (event.kind === 'delete') count(event.relationId, 'deletes');
          else if (event.kind === 'truncate') for (const id of event.relationIds) count(id, 'truncates');
        }
        if (result.rows.length < ROWS_PER_CALL) break;
      }
    } catch (error) {
      throw classify(error, 'decoding the legacy WAL to check that its tables are frozen');
    }
    this.consumedThrough = through;
    return {
      afterLsn: formatLsn(after),
      throughLsn: formatLsn(through),
      tables: this.tables,
      transactions,
      changes: [...counts].map(([table, c]) => ({ table, ...c })).sort((a, b) => a.table.localeCompare(b.table)),
    };
  }

  /**
   * Logical decoding reads flushed WAL only, and with synchronous_commit off a commit returns
   * before its WAL is flushed: wait (bounded) until everything below `lsn` is.
   */
  private async waitFlushed(lsn: Lsn): Promise<void> {
    for (let i = 0; i < 400; i += 1) {
      const flushed = parseLsn((await this.client.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0');
      if (flushed >= lsn) return;
      await pause(25);
    }
    throw new PgcarveError('server_misconfigured', `the legacy WAL is still not flushed up to ${formatLsn(lsn)} after 10 s; is the server overloaded?`);
  }

  /** Drops the temporary slot (closing the session would too). */
  async close(): Promise<void> {
    await this.client.query('SELECT pg_drop_replication_slot($1)', [this.slotName]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

export function describeChanges(changes: readonly TableChanges[]): string {
  return changes.map((c) => `${c.table} (${c.inserts} inserted, ${c.updates} updated, ${c.deletes} deleted, ${c.truncates} truncated)`).join(', ');
}

/** One line of the report: what a scan checked. */
export function describeScan(scan: ChangeScan): string {
  return `decoded the legacy WAL from ${scan.afterLsn} to ${scan.throughLsn} (${scan.transactions} transaction(s)) for ${scan.tables.join(', ')}`;
}
