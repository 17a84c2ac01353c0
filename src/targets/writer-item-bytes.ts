import type { TargetOp } from './target-op.js';
import type { WriterItem } from './writer-item.js';

/**
 * Memory a queued item holds, estimated: what the JavaScript objects cost beyond their text
 * (object headers, fields, the queue's slot, an LSN) as a fixed overhead per item, per op and per
 * value, plus the length of every text value. An estimate that grows with what is really held is
 * what a byte bound needs: a queue of small transactions (begin and commit items, few ops) and one
 * of wide rows both stop at the same memory, where a bound in ops stops at neither.
 */
export const ITEM_OVERHEAD_BYTES = 96;
export const OP_OVERHEAD_BYTES = 160;
export const VALUE_OVERHEAD_BYTES = 16;

export function writerItemBytes(item: WriterItem): number {
  if (item.kind !== 'ops') return ITEM_OVERHEAD_BYTES;
  let bytes = ITEM_OVERHEAD_BYTES;
  for (const op of item.ops) bytes += targetOpBytes(op);
  return bytes;
}

export function targetOpBytes(op: TargetOp): number {
  switch (op.kind) {
    case 'upsert':
    case 'ensure':
      return OP_OVERHEAD_BYTES + valuesBytes(op.row);
    case 'delete':
      return OP_OVERHEAD_BYTES + valuesBytes(op.key);
    case 'truncate':
      return OP_OVERHEAD_BYTES;
  }
}

function valuesBytes(values: Readonly<Record<string, string | null | undefined>>): number {
  let bytes = 0;
  for (const column in values) {
    const value = values[column];
    bytes += VALUE_OVERHEAD_BYTES + (typeof value === 'string' ? value.length : 0);
  }
  return bytes;
}
