import type { PgTable } from 'drizzle-orm/pg-core';
import type { ServiceName } from './services.js';
import type { SourceKey, SourceRow, SourceValue, TextValue } from '../src/values.js';

/** The SQL column names of a drizzle table (pgcarve's schemas name JS keys after SQL columns). */
export type ColumnsOf<T extends PgTable> = keyof T['_']['columns'] & string;

/** A target row: one value for every column of the target table. */
export type RowOf<T extends PgTable> = { readonly [K in ColumnsOf<T>]: SourceValue };

/**
 * A target table a mapping may write.
 * - `owned` rows live and die with their source row; `fromSourceKey` derives the target key from
 *   the source key alone, so that an update or delete that carries only the key (REPLICA IDENTITY
 *   DEFAULT) still finds every owned row.
 * - `reference` rows are ensured: inserted when missing, never updated or deleted by pgcarve.
 */
export type TargetDeclaration<T extends PgTable = PgTable> =
  | {
      readonly kind: 'owned';
      readonly service: ServiceName;
      readonly table: T;
      readonly fromSourceKey: (key: SourceKey) => { readonly [column: string]: TextValue };
    }
  | {
      readonly kind: 'reference';
      readonly service: ServiceName;
      readonly table: T;
    };

/** One row a mapping produces for one of its declared targets. */
export interface TargetRow<T extends PgTable = PgTable> {
  readonly target: TargetDeclaration<T>;
  readonly row: RowOf<T>;
}

/**
 * The rule for one legacy table: a pure function from one source row to the target rows it
 * produces. The same function serves backfill, streaming and drift verification, so they cannot
 * disagree. It must not perform I/O, read the clock or depend on anything but its argument.
 */
export interface TableMapping {
  readonly kind: 'mapped';
  /** The legacy table, in schema public. */
  readonly source: string;
  /** The legacy primary-key columns, in key order. */
  readonly sourceKey: readonly string[];
  /** Every target table this mapping may write. */
  readonly targets: readonly TargetDeclaration[];
  readonly map: (row: SourceRow) => readonly TargetRow[];
}

/** A legacy table that pgcarve deliberately does not migrate, with the reason shown to operators. */
export interface ExcludedTable {
  readonly kind: 'excluded';
  readonly source: string;
  readonly reason: string;
}

export type LegacyTableRule = TableMapping | ExcludedTable;

/** Declares an owned target (see TargetDeclaration). */
export function owned<T extends PgTable>(
  service: ServiceName,
  table: T,
  fromSourceKey: (key: SourceKey) => { readonly [K in ColumnsOf<T>]?: TextValue },
): TargetDeclaration<T> {
  return { kind: 'owned', service, table, fromSourceKey: fromSourceKey as (key: SourceKey) => Record<string, TextValue> };
}

/** Declares a reference target (see TargetDeclaration). */
export function reference<T extends PgTable>(service: ServiceName, table: T): TargetDeclaration<T> {
  return { kind: 'reference', service, table };
}

/** A produced row, type-checked against the target's drizzle table: every column, no other. */
export function emit<T extends PgTable>(target: TargetDeclaration<T>, row: RowOf<T>): TargetRow {
  return { target, row } as unknown as TargetRow;
}
