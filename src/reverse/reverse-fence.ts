import { classify } from '../errors/classify.js';
import { parseLsn, type Lsn } from '../lsn.js';
import type { ServiceName } from '../../mappings/services.js';
import { readReverseCheckpoint, type ReverseCheckpoint } from '../state/reverse-checkpoint.js';
import { REVERSE_FENCE_PREFIX } from './reverse-names.js';
import { withClient } from '../pg/with-client.js';
import { pause } from '../pause.js';

/**
 * Writes a fence into a service database's WAL (a transactional logical message): once the
 * legacy database's reverse checkpoint is at or past the returned LSN, everything the service
 * committed before the fence is applied to the legacy tables.
 */
export async function emitReverseFence(serviceUrl: string, service: ServiceName): Promise<Lsn> {
  const doing = `writing a fence into ${service}`;
  try {
    return await withClient(serviceUrl, { doing, application: APPLICATION }, async (client) => {
      const result = await client.query<{ lsn: string }>('SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn', [REVERSE_FENCE_PREFIX, new Date().toISOString()]);
      return parseLsn(result.rows[0]?.lsn ?? '0/0');
    });
  } catch (error) {
    throw classify(error, doing);
  }
}

const APPLICATION = 'pgcarve-reverse-fence';

export interface ReverseFenceWait {
  readonly reached: boolean;
  readonly checkpoint: ReverseCheckpoint;
}

/** Waits until the reverse checkpoint of `slot` in the legacy database is at or past `fence`, or `timeoutMs` passes. */
export async function waitForReverseFence(legacyUrl: string, slot: string, fence: Lsn, timeoutMs: number, signal?: AbortSignal): Promise<ReverseFenceWait> {
  const deadline = Date.now() + timeoutMs;
  const doing = 'reading the reverse checkpoint in the legacy database';
  try {
    return await withClient(legacyUrl, { doing, application: APPLICATION }, async (client) => {
      for (;;) {
        const checkpoint = await readReverseCheckpoint(client, slot);
        if (checkpoint.lsn >= fence) return { reached: true, checkpoint };
        if (Date.now() >= deadline || signal?.aborted) return { reached: false, checkpoint };
        await pause(100);
      }
    });
  } catch (error) {
    throw classify(error, doing);
  }
}

