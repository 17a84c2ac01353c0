import type { InferSelectModel } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { LegacyColumn } from './legacy/columns.js';
import type { LegacyTableName } from './legacy/schema.js';
import type { SourceValue, TextValue } from '../src/values.js';
import type { ServiceName } from './services.js';

/**
 * A row of a service table as its database printed it (text, null, or `undefined` for an
 * unchanged TOASTed value pgoutput did not send), keyed by the drizzle table's columns.
 */
export type ServiceRow<T extends PgTable> = { readonly [K in keyof InferSelectModel<T> & string]: SourceValue };

/** Legacy columns of table `L` with their text values; `undefined` means "keep the legacy value". */
export type LegacyValues<L extends LegacyTableName> = { readonly [K in LegacyColumn<L>]?: SourceValue };

/**
 * How a service table stands to its legacy table:
 * - `row`: a service row is a legacy row. Inserting or updating it upserts the legacy row's
 *   columns it carries; deleting it deletes the legacy row, but only while the legacy row still
 *   has the `guard` values (a document deleted from `documents` must not delete the template the
 *   same legacy row became in `document_templates`); `exclusiveWith` names the table it shares
 *   the legacy rows with.
 * - `part`: a service row carries some columns of a legacy row that another service table
 *   carries (`user_profiles` of `users`). Inserting or updating it sets those columns on the
 *   legacy row, which must exist by the end of the service transaction; deleting it sets `clear`.
 */
export type InverseShape<L extends LegacyTableName> =
  | { readonly kind: 'row'; readonly guard?: LegacyValues<L>; readonly exclusiveWith?: ExclusiveTable }
  | { readonly kind: 'part'; readonly clear: LegacyValues<L> };

/**
 * Another service table that carries the same legacy rows under the other `guard` (documents and
 * document_templates share the legacy ids): a key present in both at once cannot be one legacy
 * row, so the reverse stream stops instead of letting one overwrite the other. `column` is its
 * column holding the legacy key.
 */
export interface ExclusiveTable {
  readonly table: PgTable;
  readonly column: string;
}

/**
 * A reference row of the service database an inverse mapping reads (the category of a business
 * activity): the table and the key to look it up by, or undefined when the row needs none.
 */
export interface ReferenceLookup<T extends PgTable, R extends PgTable> {
  readonly table: R;
  readonly key: (row: ServiceRow<T>) => { readonly [K in keyof InferSelectModel<R> & string]?: TextValue } | undefined;
}

/**
 * The inverse of one owned service table: a pure function from a service row (and the reference
 * row it names, if any) to the values of the legacy row it came from, plus the legacy key and
 * how deletes go back. Type-checked against the drizzle table and the legacy columns. It must
 * not perform I/O or depend on anything but its arguments; the reverse stream looks up the
 * reference row and applies the result. `inverse.test.ts` beside each mapping checks that the
 * forward mapping turns the legacy row back into the service rows (the round trip).
 */
export interface InverseMapping<T extends PgTable = PgTable, L extends LegacyTableName = LegacyTableName, R extends PgTable = PgTable> {
  readonly service: ServiceName;
  readonly table: T;
  readonly legacy: L;
  /** The legacy key columns, each with the service column that holds it. */
  readonly key: { readonly [K in LegacyColumn<L>]?: keyof InferSelectModel<T> & string };
  readonly shape: InverseShape<L>;
  readonly reference?: ReferenceLookup<T, R>;
  /** The legacy values the row carries; `ref` is the reference row (undefined if none is needed). */
  readonly values: (row: ServiceRow<T>, ref: ServiceRow<R> | undefined) => LegacyValues<L>;
}

/** Declares an inverse mapping (the type parameters are inferred, so the compiler checks columns). */
export function inverse<T extends PgTable, L extends LegacyTableName, R extends PgTable = PgTable>(mapping: InverseMapping<T, L, R>): InverseMapping {
  return mapping as unknown as InverseMapping;
}

/** A 1:1 column copy of `columns`, for the (many) columns whose value passes through unchanged. */
export function copy<T extends PgTable, C extends keyof InferSelectModel<T> & string>(row: ServiceRow<T>, columns: readonly C[]): { readonly [K in C]: SourceValue } {
  const out: Record<string, SourceValue> = {};
  for (const column of columns) out[column] = row[column];
  return out as { readonly [K in C]: SourceValue };
}
