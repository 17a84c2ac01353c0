import { PgcarveError } from '../errors/pgcarve-error.js';
import type { ChunkMessage } from '../source/chunk-message.js';
import { CHUNK_PREFIX } from '../source/wal-messages.js';
import { LegacyRowFactory } from '../source/legacy-row.js';
import type { TextValue } from '../values.js';
import { deriveUpsert, sourceKeyOf, type OpSink } from './derive-ops.js';
import type { RoutedTable, RoutingTable } from './routing-table.js';

/**
 * The target ops that make `chunk.services` hold exactly what the chunk says, through the same
 * mapping as streaming: each row is derived as an update of itself (upsert what it produces,
 * delete the owned rows its key would have produced but no longer does: a document that became a
 * template, a log row outside the filter), then the listed extra target rows are deleted.
 */
export function deriveChunk(routing: RoutingTable, routed: RoutedTable, chunk: ChunkMessage, sink: OpSink): void {
  const services = new Set(chunk.services);
  const scoped: OpSink = (service, op) => {
    if (services.has(service)) sink(service, op);
  };
  const factory = new LegacyRowFactory(chunk.table, chunk.columns);
  for (const values of chunk.rows) {
    const row = factory.row(values);
    deriveUpsert(routing, routed, row, sourceKeyOf(routed, row), 'update', scoped);
  }
  for (const d of chunk.deletes) {
    if (!routed.targets.some((t) => t.kind === 'owned' && t.service === d.service && t.table === d.table)) {
      throw new PgcarveError('internal', `a ${CHUNK_PREFIX} message for ${chunk.table} deletes from ${d.service}.${d.table}, which is not an owned target of ${chunk.table}`);
    }
    for (const values of d.keys) {
      const key: Record<string, TextValue> = {};
      d.columns.forEach((column, i) => (key[column] = values[i] ?? null));
      scoped(d.service, { kind: 'delete', table: d.table, source: chunk.table, key, op: 'delete' });
    }
  }
}
