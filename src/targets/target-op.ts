import type { SourceValue, TextValue } from '../values.js';

/**
 * One change to one target table, as the router derives it from a source change.
 * - `upsert`: an owned row; a column whose value is `undefined` (unchanged TOAST) keeps the
 *   target's value, and such a partial row must already exist in the target.
 * - `ensure`: a reference row; inserted when missing, never updated.
 * - `delete`: an owned row by its target key.
 * - `truncate`: every row of an owned target table.
 * `source` is the legacy table and `op` the source operation (for errors and metrics).
 */
export type TargetOp =
  | { readonly kind: 'upsert'; readonly table: string; readonly source: string; readonly row: Readonly<Record<string, SourceValue>>; readonly op: SourceOp }
  | { readonly kind: 'ensure'; readonly table: string; readonly source: string; readonly row: Readonly<Record<string, SourceValue>>; readonly op: SourceOp }
  | { readonly kind: 'delete'; readonly table: string; readonly source: string; readonly key: Readonly<Record<string, TextValue>>; readonly op: SourceOp }
  | { readonly kind: 'truncate'; readonly table: string; readonly source: string; readonly op: 'truncate' };

export type SourceOp = 'insert' | 'update' | 'delete' | 'truncate';
