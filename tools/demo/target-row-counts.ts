import type pg from 'pg';
import type { ServiceName } from '../../mappings/services.js';
import { connect } from '../../src/pg/with-client.js';

export type RowCounts = ReadonlyMap<ServiceName, readonly { readonly table: string; readonly rows: number }[]>;

/**
 * Counts the rows of every target table, one query per service database, on connections it keeps
 * open. An unreachable database leaves its last counts as they were.
 */
export class TargetRowCounts {
  private readonly clients = new Map<ServiceName, pg.Client>();
  private readonly latestValue = new Map<ServiceName, readonly { readonly table: string; readonly rows: number }[]>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly serviceUrls: Readonly<Record<ServiceName, string>>,
    private readonly tablesByService: ReadonlyMap<ServiceName, readonly string[]>,
  ) {}

  get latest(): RowCounts {
    return this.latestValue;
  }

  /** Counts again unless a count is under way; resolves when this round is done. */
  refresh(): Promise<void> {
    return (this.running ??= this.countAll().finally(() => (this.running = undefined)));
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }

  private async countAll(): Promise<void> {
    await Promise.all(
      [...this.tablesByService].map(async ([service, tables]) => {
        if (tables.length === 0) return;
        try {
          let client = this.clients.get(service);
          if (!client) {
            client = await connect(this.serviceUrls[service], { doing: `counting the rows of ${service} (demo)`, application: 'pgcarve-demo-counts', connectTimeoutMs: 5_000 });
            this.clients.set(service, client);
          }
          const select = tables.map((t, i) => `(SELECT count(*) FROM public.${client.escapeIdentifier(t)})::text AS c${i}`).join(', ');
          const row = (await client.query<Record<string, string>>(`SELECT ${select}`)).rows[0] ?? {};
          this.latestValue.set(service, tables.map((table, i) => ({ table, rows: Number(row[`c${i}`] ?? 0) })));
        } catch {
          await this.clients.get(service)?.end().catch(() => undefined);
          this.clients.delete(service);
        }
      }),
    );
  }
}
