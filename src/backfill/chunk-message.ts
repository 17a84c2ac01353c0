import { PgcarveError } from '../errors/pgcarve-error.js';
import { deriveUpsert, sourceKeyOf, type OpSink } from '../router/derive-ops.js';
import type { TextValue } from '../values.js';
import type { RoutedTable, RoutingTable } from '../router/routing-table.js';
import { isServiceName, type ServiceName } from '../../mappings/services.js';
import { LegacyRowFactory } from './legacy-row.js';

/** The prefix of `pgcarve backfill`'s chunk messages (pg_logical_emit_message, transactional). */
export const CHUNK_PREFIX = 'pgcarve.backfill';

/**
 * One chunk of a repair (table-repair.ts), carried through the legacy WAL to the sidecar. It says:
 * "at this point of the stream, the part of `table` between two keys is exactly `rows`", and
 * names the owned target rows of that part that must not exist (`deletes`: target keys that the
 * rows do not produce). Only `services` apply it.
 */
export interface ChunkMessage {
  readonly version: 1;
  readonly table: string;
  readonly services: readonly ServiceName[];
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TextValue[])[];
  readonly deletes: readonly ChunkDeletes[];
}

export interface ChunkDeletes {
  readonly service: ServiceName;
  readonly table: string;
  readonly columns: readonly string[];
  readonly keys: readonly (readonly TextValue[])[];
}

export function encodeChunk(chunk: ChunkMessage): string {
  return JSON.stringify(chunk);
}

export function decodeChunk(content: Buffer | string): ChunkMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof content === 'string' ? content : content.toString('utf8'));
  } catch (error) {
    throw new PgcarveError('internal', `a ${CHUNK_PREFIX} message in the legacy WAL is not valid JSON`, { cause: error });
  }
  const chunk = parsed as Partial<ChunkMessage>;
  if (
    chunk.version !== 1 ||
    typeof chunk.table !== 'string' ||
    !Array.isArray(chunk.services) ||
    !chunk.services.every((s) => typeof s === 'string' && isServiceName(s)) ||
    !Array.isArray(chunk.columns) ||
    !Array.isArray(chunk.rows) ||
    !Array.isArray(chunk.deletes)
  ) {
    throw new PgcarveError('internal', `a ${CHUNK_PREFIX} message in the legacy WAL has an unknown format (written by another pgcarve version?)`);
  }
  return chunk as ChunkMessage;
}

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
