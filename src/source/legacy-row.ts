import { PgcarveError } from '../errors/pgcarve-error.js';
import type { SourceRow, SourceValue, TextValue } from '../values.js';

/** Names that JSON.stringify, await and inspection look up on any object: absent, not an error. */
const PROTOCOL_NAMES = new Set(['toJSON', 'then', 'inspect']);

/**
 * Builds mapping input rows for one legacy table from its column names and text values (a
 * snapshot's COPY, a chunk message) or adopts a decoded row (the stream). A row has its columns as
 * own properties; reading any other name reaches a guard on the prototype that throws
 * `column_missing`, because for a mapping `undefined` means "unchanged TOAST, keep the target's
 * value", which a column that no longer exists must never silently become. A guard on the
 * prototype costs little per row; a Proxy around each row would cost more.
 */
export class LegacyRowFactory {
  private readonly prototype: object;

  /** `missing` words the error for a column the mapping reads that the table lacks. */
  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
    missing: (column: string) => string = (column) => `legacy table public.${table} has no column ${column}, which its mapping reads (was it dropped or renamed?): restore the column or change the mapping, then restart pgcarve`,
  ) {
    const known = new Set(columns);
    this.prototype = new Proxy(Object.create(null) as object, {
      get(_target, name) {
        if (typeof name === 'string' && !known.has(name) && !(name in Object.prototype) && !PROTOCOL_NAMES.has(name)) {
          throw new PgcarveError('column_missing', missing(name));
        }
        return (Object.prototype as Record<string | symbol, unknown>)[name];
      },
    });
  }

  row(values: readonly TextValue[]): SourceRow {
    // Filled as a plain object, then given the guard: assigning through a Proxy prototype would
    // run the proxy for every column (measured 6× slower).
    const row: Record<string, TextValue> = {};
    const columns = this.columns;
    for (let i = 0; i < columns.length; i += 1) row[columns[i] as string] = values[i] ?? null;
    return Object.setPrototypeOf(row, this.prototype) as SourceRow;
  }

  /** A decoded row of this table (its own properties are exactly its columns), guarded in place. */
  adopt(record: Record<string, SourceValue>): SourceRow {
    return Object.setPrototypeOf(record, this.prototype) as SourceRow;
  }

  get source(): string {
    return this.table;
  }
}
