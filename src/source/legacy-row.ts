import { PgcarveError } from '../errors/pgcarve-error.js';
import type { SourceRow, TextValue } from '../values.js';

/** Names that JSON.stringify, await and inspection look up on any object: absent, not an error. */
const PROTOCOL_NAMES = new Set(['toJSON', 'then', 'inspect']);

/**
 * Builds mapping input rows for one legacy table from its column names and text values. A row has
 * its columns as own properties; reading any other name reaches a guard on the prototype that
 * throws `column_missing`, because for a mapping `undefined` means "unchanged TOAST, keep the
 * target's value", which a column that no longer exists must never silently become. (The router
 * guards streamed rows the same way; a guard on the prototype costs little per row, a Proxy
 * around each row would cost more.)
 */
export class LegacyRowFactory {
  private readonly prototype: object;

  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
  ) {
    const known = new Set(columns);
    this.prototype = new Proxy(Object.create(null) as object, {
      get(_target, name) {
        if (typeof name === 'string' && !known.has(name) && !(name in Object.prototype) && !PROTOCOL_NAMES.has(name)) {
          throw new PgcarveError('column_missing', `legacy table public.${table} has no column ${name}, which its mapping reads (was it dropped or renamed?): restore the column or change the mapping, then restart pgcarve`);
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

  get source(): string {
    return this.table;
  }
}
