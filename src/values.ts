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
