import type pg from 'pg';
import { classify } from './errors/classify.js';
import { LEGACY_TARGET } from './pg/legacy-target.js';
import { connect, withClient } from './pg/with-client.js';
import { formatLsn, lsnDistance, parseLsn, type Lsn } from './lsn.js';
import { FENCE_PREFIX } from './source/wal-messages.js';
import { SERVICES, type ServiceName } from '../mappings/services.js';
import { readCheckpoint } from './state/checkpoint.js';
import { pause } from './pause.js';

/**
 * Writes a fence into the legacy WAL: a transactional logical message. Every service whose
 * checkpoint is at or past the returned LSN has applied everything the legacy database committed
 * before the fence.
 */
export async function emitFence(legacyUrl: string): Promise<Lsn> {
  try {
    return await withClient(legacyUrl, { doing: 'writing a fence into the legacy database', target: LEGACY_TARGET }, async (client) => {
      const result = await client.query<{ lsn: string }>('SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn', [FENCE_PREFIX, new Date().toISOString()]);
      return parseLsn(result.rows[0]?.lsn ?? '0/0');
    });
  } catch (error) {
    throw classify(error, 'writing a fence into the legacy database');
  }
}

export interface FenceWaitResult {
  readonly fenceLsn: Lsn;
  readonly reached: boolean;
  readonly services: readonly { readonly service: ServiceName; readonly checkpoint: Lsn | undefined; readonly behindBytes: number | undefined; readonly error?: string }[];
}

/**
 * Waits until every service's checkpoint (read from its database, so it works from any process)
 * is at or past `fence`, or `timeoutMs` passes. Polls every `intervalMs`.
 */
export async function waitForFence(
  serviceUrls: Readonly<Record<ServiceName, string>>,
  slot: string,
  fence: Lsn,
  timeoutMs: number,
  options: { readonly intervalMs?: number; readonly signal?: AbortSignal; readonly services?: readonly ServiceName[] } = {},
): Promise<FenceWaitResult> {
  const services = options.services ?? SERVICES;
  const clients = new Map<ServiceName, pg.Client>();
  const deadline = Date.now() + timeoutMs;
  const last = new Map<ServiceName, { checkpoint: Lsn | undefined; error?: string }>();
  try {
    for (;;) {
      for (const service of services) {
        if ((last.get(service)?.checkpoint ?? -1n) >= fence) continue;
        try {
          let client = clients.get(service);
          if (!client) {
            client = await connect(serviceUrls[service], { doing: `reading the checkpoint of ${service}`, connectTimeoutMs: 5_000 });
            clients.set(service, client);
          }
          last.set(service, { checkpoint: await readCheckpoint(client, slot) });
        } catch (error) {
          await clients.get(service)?.end().catch(() => undefined);
          clients.delete(service);
          last.set(service, { checkpoint: last.get(service)?.checkpoint, error: classify(error, `reading the checkpoint of ${service}`).message });
        }
      }
      const reached = services.every((s) => (last.get(s)?.checkpoint ?? -1n) >= fence);
      if (reached || Date.now() >= deadline || options.signal?.aborted) {
        return {
          fenceLsn: fence,
          reached,
          services: services.map((service) => {
            const seen = last.get(service);
            return {
              service,
              checkpoint: seen?.checkpoint,
              behindBytes: seen?.checkpoint === undefined ? undefined : lsnDistance(fence, seen.checkpoint),
              ...(seen?.error ? { error: seen.error } : {}),
            };
          }),
        };
      }
      await pause(Math.min(options.intervalMs ?? 100, Math.max(1, deadline - Date.now())));
    }
  } finally {
    for (const client of clients.values()) await client.end().catch(() => undefined);
  }
}

export function describeFenceResult(result: FenceWaitResult): string {
  if (result.reached) return `all services have applied everything up to the fence at ${formatLsn(result.fenceLsn)}`;
  const behind = result.services.filter((s) => s.checkpoint === undefined || s.checkpoint < result.fenceLsn);
  return `not in sync at the fence ${formatLsn(result.fenceLsn)}; behind: ${behind
    .map((s) => `${s.service} (${s.checkpoint === undefined ? 'checkpoint unreadable' : `at ${formatLsn(s.checkpoint)}, ${s.behindBytes} bytes behind`}${s.error ? `: ${s.error}` : ''})`)
    .join('; ')}`;
}
