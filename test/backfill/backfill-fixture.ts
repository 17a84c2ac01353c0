import pg from 'pg';
import type { BackfillObserver } from '../../src/backfill/backfill-observer.js';
import { type BackfillState, type BackfillStateKind, readBackfillStates } from '../../src/state/backfill-state.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import type { TestDatabases } from '../harness/databases.js';

/** Every observer call, for assertions. */
export class RecordingObserver implements BackfillObserver {
  readonly states: { service: ServiceName; table: string; state: BackfillStateKind }[] = [];
  readonly rows = new Map<string, number>();
  readonly last = new Map<string, { done: number; estimated: number }>();
  finishedCalls = 0;

  stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void {
    this.states.push({ service, table, state });
  }
  rowsCopied(service: ServiceName, table: string, rows: number): void {
    this.rows.set(`${service}.${table}`, (this.rows.get(`${service}.${table}`) ?? 0) + rows);
  }
  progress(service: ServiceName, table: string, done: number, estimated: number): void {
    this.last.set(`${service}.${table}`, { done, estimated });
  }
  finished(): void {
    this.finishedCalls += 1;
  }
}

/** The backfill states of every service database, by "service.table". */
export async function allStates(dbs: TestDatabases): Promise<Map<string, BackfillState>> {
  const out = new Map<string, BackfillState>();
  for (const service of SERVICES) {
    const client = new pg.Client(dbs.serviceUrls[service]);
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass('pgcarve.backfill') IS NOT NULL AS ok`);
      if (!(exists.rows[0] as { ok: boolean }).ok) continue;
      for (const state of await readBackfillStates(client, dbs.slot)) out.set(`${service}.${state.table}`, state);
    } finally {
      await client.end();
    }
  }
  return out;
}

/** Reads the backfill states of every service database over connections kept open (fast polling). */
export class StatePoller {
  private readonly clients = new Map<ServiceName, pg.Client>();

  constructor(private readonly dbs: TestDatabases) {}

  async read(): Promise<Map<string, BackfillState>> {
    const out = new Map<string, BackfillState>();
    await Promise.all(
      SERVICES.map(async (service) => {
        let client = this.clients.get(service);
        if (!client) {
          client = new pg.Client(this.dbs.serviceUrls[service]);
          this.clients.set(service, client);
          await client.connect();
        }
        const exists = await client.query(`SELECT to_regclass('pgcarve.backfill') IS NOT NULL AS ok`);
        if (!(exists.rows[0] as { ok: boolean }).ok) return;
        for (const state of await readBackfillStates(client, this.dbs.slot)) out.set(`${service}.${state.table}`, state);
      }),
    );
    return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) await client.end().catch(() => undefined);
  }
}
