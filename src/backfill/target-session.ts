import type pg from 'pg';
import { classify } from '../errors/classify.js';
import type { ServiceName } from '../../mappings/services.js';
import { BatchApplier, type UpsertMode } from '../targets/apply-batch.js';
import { loadTableShapes } from '../targets/table-shape.js';
import type { TargetOp } from '../targets/target-op.js';
import { connect } from '../pg/with-client.js';

/**
 * One backfill connection to a service database, with a BatchApplier for the service's target
 * tables (the same statements streaming uses). Each worker has its own, so their transactions run
 * in parallel.
 */
export class TargetSession {
  private constructor(
    readonly service: ServiceName,
    readonly client: pg.Client,
    readonly applier: BatchApplier,
  ) {}

  static async open(service: ServiceName, url: string, tables: readonly string[]): Promise<TargetSession> {
    const doing = `connecting to ${service} for the backfill`;
    const client = await connect(url, { doing, keepAlive: true });
    try {
      await client.query("SET TIME ZONE 'UTC'");
      const shapes = await loadTableShapes(client, service, tables);
      return new TargetSession(service, client, new BatchApplier(service, shapes));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classify(error, doing);
    }
  }

  /**
   * Applies `ops` and whatever `alsoInTransaction` writes (the state row) in one transaction. With
   * `relaxed`, the commit does not wait for the disk: a batch lost in a crash of the target server
   * is lost together with its rows_copied, and the copy's next state change (a normal commit)
   * flushes every batch before it. `mode` says how upserts are written (apply-batch.ts).
   */
  async write(ops: readonly TargetOp[], alsoInTransaction: (client: pg.Client) => Promise<void>, relaxed: boolean, mode: UpsertMode = 'upsert'): Promise<void> {
    const client = this.client;
    await client.query(relaxed ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
    try {
      if (ops.length > 0) await this.applier.apply(client, ops, mode);
      await alsoInTransaction(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw classify(error, `backfill writing to ${this.service}`);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
