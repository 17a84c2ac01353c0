/** A long poll never holds a connection longer than this. */
export const MAX_SYNC_TIMEOUT_SECONDS = 300;
export const DEFAULT_SYNC_TIMEOUT_SECONDS = 30;

export type ParsedTimeout = { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly reason: string };

/**
 * The `timeout` query parameter of GET /sync: seconds from 0 (check once, do not wait) to
 * MAX_SYNC_TIMEOUT_SECONDS, decimals allowed; absent means the default.
 */
export function parseSyncTimeout(value: unknown): ParsedTimeout {
  if (value === undefined) return { ok: true, seconds: DEFAULT_SYNC_TIMEOUT_SECONDS };
  if (typeof value !== 'string') return { ok: false, reason: 'timeout must be given once, as a number of seconds' };
  if (!/^\d+(\.\d+)?$/.test(value.trim())) return { ok: false, reason: `timeout must be a number of seconds from 0 to ${MAX_SYNC_TIMEOUT_SECONDS}, got ${JSON.stringify(value.slice(0, 40))}` };
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds > MAX_SYNC_TIMEOUT_SECONDS) {
    return { ok: false, reason: `timeout must be at most ${MAX_SYNC_TIMEOUT_SECONDS} seconds (a long poll is bounded), got ${value.slice(0, 40)}` };
  }
  return { ok: true, seconds };
}
