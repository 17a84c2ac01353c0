/**
 * The value vocabulary every floor shares: how a legacy value travels from pgoutput (or a COPY of
 * the snapshot) through the mappings into a target, without ever passing a lossy JavaScript type.
 */

/**
 * A column value exactly as PostgreSQL prints it in text form, or null for SQL NULL. Values never
 * pass through a lossy JavaScript type (Date, number, JSON.parse): the target casts the text.
 */
export type TextValue = string | null;

/**
 * A source column value: text, null, or `undefined` when pgoutput reported an unchanged TOASTed
 * value that it did not send. `undefined` means "keep what the target has", never NULL.
 */
export type SourceValue = TextValue | undefined;

/** A legacy row by column name. */
export type SourceRow = Readonly<Record<string, SourceValue>>;

/** The key columns of a legacy row (never undefined: key columns are always sent). */
export type SourceKey = Readonly<Record<string, TextValue>>;

/**
 * The values of `columns` in `row` as one string, equal exactly when the values are: a key for a
 * Map. PostgreSQL text never holds a NUL character, so NUL-marked NULLs and separators cannot
 * collide with a value (no array or JSON is built: this runs for every change).
 */
export function keyString(row: Readonly<Record<string, SourceValue>>, columns: readonly string[]): string {
  if (columns.length === 1) {
    const value = row[columns[0] as string];
    return value === null || value === undefined ? '\0N' : value;
  }
  let key = '';
  for (let i = 0; i < columns.length; i += 1) {
    const value = row[columns[i] as string];
    key += (i > 0 ? '\0,' : '') + (value === null || value === undefined ? '\0N' : value);
  }
  return key;
}
