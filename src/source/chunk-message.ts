import { PgcarveError } from '../errors/pgcarve-error.js';
import type { TextValue } from '../values.js';
import { isServiceName, type ServiceName } from '../../mappings/services.js';

import { CHUNK_PREFIX } from './wal-messages.js';

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
