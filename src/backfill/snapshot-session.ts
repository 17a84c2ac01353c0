import type pg from 'pg';
import { classify } from '../errors/classify.js';
import type { TextValue } from '../values.js';
import { VALUE_OVERHEAD_BYTES } from '../targets/writer-item-bytes.js';
import type { KeyRange, TablePlan } from './copy-plan.js';
import { connectLegacyText } from './legacy-session.js';

export interface PageSize {
  /** At most this many rows per page. */
  readonly rows: number;
  /** Aim for pages of about this many bytes, estimated as text plus a fixed overhead per value (fewer rows for wide rows). */
  readonly bytes: number;
}

/**
 * One legacy connection inside a REPEATABLE READ transaction that imported an exported snapshot:
 * every read sees the legacy database exactly as of the snapshot's LSN, whichever connection makes
 * it. Several sessions import the same snapshot to copy in parallel. Rows are streamed through a
 * cursor a page at a time (never a whole table in memory); the page size adapts to the row width.
 */
export class SnapshotSession {
  private cursors = 0;

  private constructor(readonly client: pg.Client) {}

  static async open(legacyUrl: string, snapshot: string): Promise<SnapshotSession> {
    const client = await connectLegacyText(legacyUrl, 'backfill');
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT ${client.escapeLiteral(snapshot)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classify(error, `importing the backfill snapshot ${snapshot} (it lives only while the process that exported it does)`);
    }
    return new SnapshotSession(client);
  }

  /** The rows of `range` of `plan`'s table, page by page, as text in `plan.columns` order. */
  async *pages(plan: TablePlan, range: KeyRange, size: PageSize): AsyncGenerator<readonly (readonly TextValue[])[]> {
    const client = this.client;
    const cursor = `pgcarve_copy_${(this.cursors += 1)}`;
    const values: string[] = [];
    const where: string[] = [];
    const [key] = plan.key;
    if (key && range.from !== undefined) {
      values.push(range.from);
      where.push(`${client.escapeIdentifier(key.name)} >= $${values.length}::${key.type}`);
    }
    if (key && range.to !== undefined) {
      values.push(range.to);
      where.push(`${client.escapeIdentifier(key.name)} < $${values.length}::${key.type}`);
    }
    const sql = `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${plan.columns.map((c) => client.escapeIdentifier(c)).join(', ')} FROM public.${client.escapeIdentifier(plan.table)}${
      where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
    }`;
    await client.query(sql, values);
    try {
      // The first page is small: nothing is known of the row width yet.
      let rows = Math.min(size.rows, 100);
      for (;;) {
        const result = await client.query<TextValue[]>({ text: `FETCH ${rows} FROM ${cursor}`, rowMode: 'array' });
        if (result.rows.length === 0) return;
        yield result.rows;
        if (result.rows.length < rows) return;
        rows = nextPageRows(result.rows, size);
      }
    } finally {
      await client.query(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

/** Rows for the next page so that it holds about `size.bytes` (text and values), judged by this page. */
function nextPageRows(page: readonly (readonly TextValue[])[], size: PageSize): number {
  let bytes = 0;
  for (const row of page) for (const value of row) bytes += VALUE_OVERHEAD_BYTES + (value === null ? 0 : value.length);
  const perRow = Math.max(1, bytes / page.length);
  return Math.max(1, Math.min(size.rows, Math.floor(size.bytes / perRow)));
}
