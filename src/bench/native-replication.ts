import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { SERVICES, type ServiceName } from '../router/service.js';
import { recreateDatabase, withClient } from './bench-cluster.js';
import type { BenchDatabases } from './bench-databases.js';

/**
 * The alternative a team would use without pgcarve: one native subscription per service database,
 * over the legacy tables that map 1:1 (same name, same columns), with the mapping's row filter
 * where it has one. It cannot carry the tables whose rule renames, splits or derives columns.
 */
export const NATIVE_TABLES: Readonly<Record<ServiceName, readonly { readonly table: string; readonly where?: string }[]>> = {
  user_db: [{ table: 'roles' }],
  document_db: [{ table: 'template_submissions' }],
  freezone_db: [{ table: 'establishment_guides' }],
  ai_research_db: [{ table: 'conversations' }, { table: 'messages' }, { table: 'assistant_memory' }, { table: 'research_topics' }, { table: 'web_research_items' }],
  scraper_db: [{ table: 'scraper_tasks' }, { table: 'scraper_results' }, { table: 'scraper_schedules' }, { table: 'activity_logs', where: "entity LIKE 'scraper%'" }],
};

export const nativeName = (service: ServiceName): string => `bench_native_${service}`;

export class NativeReplication {
  private constructor(
    private readonly cluster: EmbeddedCluster,
    private readonly legacyUrl: string,
  ) {}

  readonly slots = SERVICES.map(nativeName);

  /** The URL of the native copy of a service database. */
  url(service: ServiceName): string {
    return this.cluster.url(nativeName(service));
  }

  /**
   * Copies each (backfilled, idle) service database as a template, and creates per service a
   * publication, a slot at the current position, and a disabled subscription without initial copy.
   */
  static async create(db: BenchDatabases): Promise<NativeReplication> {
    const native = new NativeReplication(db.cluster, db.legacyUrl);
    for (const service of SERVICES) await recreateDatabase(db.cluster, nativeName(service), service);
    await withClient(db.legacyUrl, async (c) => {
      for (const service of SERVICES) {
        const name = c.escapeIdentifier(nativeName(service));
        const tables = NATIVE_TABLES[service].map((t) => `public.${c.escapeIdentifier(t.table)}${t.where ? ` WHERE (${t.where})` : ''}`).join(', ');
        await c.query(`CREATE PUBLICATION ${name} FOR TABLE ${tables}`);
        await c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [nativeName(service)]);
      }
    });
    const conninfo = `host=127.0.0.1 port=${db.cluster.port} dbname=legacy user=postgres`;
    for (const service of SERVICES) {
      await withClient(native.url(service), async (c) => {
        const name = c.escapeIdentifier(nativeName(service));
        // create_slot = false: on the same cluster CREATE SUBSCRIPTION would wait on its own slot creation.
        await c.query(
          `CREATE SUBSCRIPTION ${name} CONNECTION ${c.escapeLiteral(conninfo)} PUBLICATION ${name}
           WITH (create_slot = false, slot_name = ${c.escapeLiteral(nativeName(service))}, copy_data = false, enabled = false)`,
        );
      });
    }
    return native;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    for (const service of SERVICES) {
      await withClient(this.url(service), (c) => c.query(`ALTER SUBSCRIPTION ${c.escapeIdentifier(nativeName(service))} ${enabled ? 'ENABLE' : 'DISABLE'}`));
    }
    if (!enabled) await this.waitSlotsInactive();
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
        await new Promise((r) => setTimeout(r, 10));
      }
    });
  }

  private async waitSlotsInactive(): Promise<void> {
    await withClient(this.legacyUrl, async (c) => {
      for (let i = 0; i < 500; i += 1) {
        const { rows } = await c.query<{ active: number }>('SELECT count(*)::int AS active FROM pg_replication_slots WHERE slot_name = ANY($1) AND active', [this.slots]);
        if ((rows[0]?.active ?? 0) === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  }
}
