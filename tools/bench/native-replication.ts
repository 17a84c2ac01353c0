import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { recreateDatabase, withClient } from './bench-cluster.js';
import { type BenchDatabases, LEGACY_DB } from './bench-databases.js';
import { pause } from '../../src/pause.js';

/**
 * The legacy tables that map 1:1 (same name, same columns) per service, with the mapping's row
 * filter where it has one: what native replication can carry into the service databases. It
 * cannot carry the tables whose rule renames, splits or derives columns.
 */
export const NATIVE_TABLES: Readonly<Record<ServiceName, readonly { readonly table: string; readonly where?: string }[]>> = {
  user_db: [{ table: 'roles' }],
  document_db: [{ table: 'template_submissions' }],
  freezone_db: [{ table: 'establishment_guides' }],
  ai_research_db: [{ table: 'conversations' }, { table: 'messages' }, { table: 'assistant_memory' }, { table: 'research_topics' }, { table: 'web_research_items' }],
  scraper_db: [{ table: 'scraper_tasks' }, { table: 'scraper_results' }, { table: 'scraper_schedules' }, { table: 'activity_logs', where: "entity LIKE 'scraper%'" }],
};

/**
 * The two native set-ups the benchmark compares with:
 * - `per-service`: what a team would use without pgcarve, one subscription per service database
 *   over that service's 1:1 tables (five walsenders, each decoding the whole WAL);
 * - `single`: the physical limit, one subscription draining every mapped legacy table into a
 *   1:1 copy of the legacy database on the same server (one walsender, one apply worker, no
 *   mapping, no row filter).
 */
export type NativeKind = 'per-service' | 'single';

interface Subscription {
  /** Subscriber database, subscription, publication and slot all share this name. */
  readonly name: string;
  /** The database it was copied from (template). */
  readonly from: string;
  /** `public.t [WHERE (...)]` entries of its publication. */
  readonly tables: readonly { readonly table: string; readonly where?: string }[];
}

export const nativeName = (service: ServiceName): string => `bench_native_${service}`;
export const NATIVE_SINGLE = 'bench_native_single';

export class NativeReplication {
  private constructor(
    private readonly cluster: EmbeddedCluster,
    private readonly legacyUrl: string,
    private readonly subscriptions: readonly Subscription[],
  ) {}

  get slots(): readonly string[] {
    return this.subscriptions.map((s) => s.name);
  }

  /** The URL of the native copy of a service database (`per-service` only). */
  url(service: ServiceName): string {
    return this.cluster.url(nativeName(service));
  }

  /**
   * Copies each subscriber database from its template (the backfilled, idle service database, or
   * the legacy database for `single`), and creates per subscription a publication, a slot at the
   * current position, and a disabled subscription without initial copy.
   */
  static async create(db: BenchDatabases, kind: NativeKind): Promise<NativeReplication> {
    const subscriptions: Subscription[] =
      kind === 'per-service'
        ? SERVICES.map((service) => ({ name: nativeName(service), from: service, tables: NATIVE_TABLES[service] }))
        : [{ name: NATIVE_SINGLE, from: LEGACY_DB, tables: db.mappedTables.map((table) => ({ table })) }];
    const native = new NativeReplication(db.cluster, db.legacyUrl, subscriptions);
    for (const s of subscriptions) await recreateDatabase(db.cluster, s.name, s.from);
    await withClient(db.legacyUrl, async (c) => {
      for (const s of subscriptions) {
        const name = c.escapeIdentifier(s.name);
        const tables = s.tables.map((t) => `public.${c.escapeIdentifier(t.table)}${t.where ? ` WHERE (${t.where})` : ''}`).join(', ');
        await c.query(`CREATE PUBLICATION ${name} FOR TABLE ${tables}`);
        await c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [s.name]);
      }
    });
    const conninfo = `host=127.0.0.1 port=${db.cluster.port} dbname=${LEGACY_DB} user=postgres`;
    for (const s of subscriptions) {
      await withClient(db.cluster.url(s.name), async (c) => {
        const name = c.escapeIdentifier(s.name);
        // The copy of the legacy database holds pgcarve's publication too: harmless, unused.
        // create_slot = false: on the same cluster CREATE SUBSCRIPTION would wait on its own slot creation.
        await c.query(
          `CREATE SUBSCRIPTION ${name} CONNECTION ${c.escapeLiteral(conninfo)} PUBLICATION ${name}
           WITH (create_slot = false, slot_name = ${c.escapeLiteral(s.name)}, copy_data = false, enabled = false)`,
        );
      });
    }
    return native;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    for (const s of this.subscriptions) {
      await withClient(this.cluster.url(s.name), (c) => c.query(`ALTER SUBSCRIPTION ${c.escapeIdentifier(s.name)} ${enabled ? 'ENABLE' : 'DISABLE'}`));
    }
    if (!enabled) await this.waitSlotsInactive();
  }

  /** Enables, waits until every slot has confirmed `endLsn`, disables; returns the milliseconds. */
  async timeDrain(endLsn: string, timeoutMs: number): Promise<number> {
    const begin = performance.now();
    await this.setEnabled(true);
    try {
      if (!(await this.waitConfirmed(endLsn, timeoutMs))) throw new Error(`native logical replication did not drain the backlog within ${timeoutMs} ms`);
      return performance.now() - begin;
    } finally {
      await this.setEnabled(false);
    }
  }

  /** Moves the (inactive) slots past a backlog this set-up is not measured on. */
  async skipTo(endLsn: string): Promise<void> {
    await withClient(this.legacyUrl, async (c) => {
      for (const slot of this.slots) await c.query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [slot, endLsn]);
    });
  }

  /** Waits until every native slot's confirmed position is at or past `endLsn`; false on timeout. */
  async waitConfirmed(endLsn: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    return await withClient(this.legacyUrl, async (c) => {
      for (;;) {
        const { rows } = await c.query<{ behind: number }>(
          'SELECT count(*)::int AS behind FROM pg_replication_slots WHERE slot_name = ANY($1) AND (confirmed_flush_lsn IS NULL OR confirmed_flush_lsn < $2::pg_lsn)',
          [this.slots, endLsn],
        );
        if ((rows[0]?.behind ?? 1) === 0) return true;
        if (Date.now() > deadline) return false;
        await pause(10);
      }
    });
  }

  private async waitSlotsInactive(): Promise<void> {
    await withClient(this.legacyUrl, async (c) => {
      for (let i = 0; i < 500; i += 1) {
        const { rows } = await c.query<{ active: number }>('SELECT count(*)::int AS active FROM pg_replication_slots WHERE slot_name = ANY($1) AND active', [this.slots]);
        if ((rows[0]?.active ?? 0) === 0) return;
        await pause(20);
      }
    });
  }
}
