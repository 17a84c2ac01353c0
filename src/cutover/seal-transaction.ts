import pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { describeFenceResult, waitForFence } from '../fence.js';
import { parseLsn, type Lsn } from '../lsn.js';
import { encodeSealMessage, SEAL_PREFIX } from '../router/seals.js';
import type { ServiceName } from '../../mappings/services.js';
import { markCutOver } from '../state/cutover-marker.js';
import { withClient } from '../pg/with-client.js';

export interface SealOptions {
  readonly legacyUrl: string;
  readonly serviceUrl: string;
  readonly slot: string;
  readonly service: ServiceName;
  /** The legacy tables that feed the service. */
  readonly tables: readonly string[];
  /** How long to wait for the SHARE locks (writers still busy on the tables). */
  readonly lockTimeoutMs: number;
  /**
   * Runs with the locks held, once every earlier write to the tables is committed at or below
   * `lockedAt`: the last freeze check. A reason refuses the seal (nothing is written).
   */
  readonly check: (lockedAt: Lsn) => Promise<string | undefined>;
}

export type SealOutcome =
  | { readonly kind: 'sealed'; readonly sealLsn: Lsn; readonly lockedAt: Lsn }
  | { readonly kind: 'refused'; readonly reason: string; readonly lockedAt: Lsn | undefined };

/**
 * Seals the forward path of a service (router/seals.ts) in one legacy transaction:
 * 1. LOCK every legacy table of the service IN SHARE MODE: this waits for the transactions
 *    writing them to end, and keeps INSERT, UPDATE, DELETE and TRUNCATE out until the commit;
 * 2. `check` (the still-frozen scan up to the WAL position now, which every earlier write to those
 *    tables precedes); a reason rolls back;
 * 3. the seal message, whose LSN is the seal: no change to those tables can commit between it and
 *    this commit, and every later one commits after it;
 * 4. pgcarve.cutover in the service database records that LSN, in a transaction committed right
 *    after the legacy one (a failure in between is reported: run cutover again).
 */
export async function sealService(options: SealOptions): Promise<SealOutcome> {
  if (options.tables.length === 0) throw new PgcarveError('bad_input', `no mapping writes ${options.service}: there is nothing to seal`);
  const purpose = { doing: `sealing ${options.service}`, application: 'pgcarve-cutover' };
  let legacyCommitted = false;
  try {
    return await withClient(options.legacyUrl, purpose, (legacy) =>
      withClient(options.serviceUrl, purpose, async (target): Promise<SealOutcome> => {
        try {
          await legacy.query('BEGIN');
          await legacy.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs))}`);
          try {
            await legacy.query(`LOCK TABLE ${options.tables.map((t) => `public.${legacy.escapeIdentifier(t)}`).join(', ')} IN SHARE MODE`);
          } catch (error) {
            if ((error as { code?: string }).code === '55P03') {
              await legacy.query('ROLLBACK');
              return { kind: 'refused', reason: `the legacy tables ${options.tables.join(', ')} stayed locked by writers for ${options.lockTimeoutMs} ms: stop the writes, then run cutover again`, lockedAt: undefined };
            }
            throw error;
          }
          const lockedAt = parseLsn((await legacy.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0');
          const reason = await options.check(lockedAt);
          if (reason !== undefined) {
            await legacy.query('ROLLBACK');
            return { kind: 'refused', reason, lockedAt };
          }
          const emitted = await legacy.query<{ lsn: string }>('SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn', [
            SEAL_PREFIX,
            encodeSealMessage({ action: 'seal', slot: options.slot, service: options.service }),
          ]);
          const sealLsn = parseLsn(emitted.rows[0]?.lsn ?? '0/0');
          await target.query('BEGIN');
          await markCutOver(target, options.slot, emitted.rows[0]?.lsn ?? null);
          await legacy.query('COMMIT');
          legacyCommitted = true;
          await target.query('COMMIT');
          return { kind: 'sealed', sealLsn, lockedAt };
        } catch (error) {
          await legacy.query('ROLLBACK').catch(() => undefined);
          await target.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    );
  } catch (error) {
    if (legacyCommitted) {
      throw new PgcarveError('connection_lost', `the seal of ${options.service} is in the legacy WAL but pgcarve.cutover could not be recorded in ${options.service} (${classify(error, 'recording the cutover').message}): run cutover again`, { cause: error });
    }
    throw classify(error, `sealing ${options.service}`);
  }
}

/**
 * A `lift` seal message in its own legacy transaction: a running sidecar applies the legacy
 * changes committed after it to the service again. Returns the message LSN. liftSeal does the
 * whole rollback of the seal.
 */
export async function emitSealLift(client: pg.ClientBase, slot: string, service: ServiceName): Promise<Lsn> {
  const emitted = await client.query<{ lsn: string }>('SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn', [SEAL_PREFIX, encodeSealMessage({ action: 'lift', slot, service })]);
  return parseLsn(emitted.rows[0]?.lsn ?? '0/0');
}

export type LiftOutcome = { readonly kind: 'lifted'; readonly liftLsn: Lsn } | { readonly kind: 'not-applied'; readonly liftLsn: Lsn; readonly reason: string };

/**
 * Lifts the seal of a service (the rollback): the lift message, then, once the service has applied
 * it (the sidecar must be running), `rolled_back_at` in pgcarve.cutover. In that order, a restarted
 * sidecar never replays the sealed span without the seal: until the service has passed the lift,
 * the record still seals and the replayed lift message ends the seal at the same LSN. Safe to
 * repeat; `not-applied` (timeout) leaves the record as it was: run it again.
 */
export async function liftSeal(options: {
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly slot: string;
  readonly service: ServiceName;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}): Promise<LiftOutcome> {
  const lifting = `lifting the seal of ${options.service}`;
  const liftLsn = await withClient(options.legacyUrl, { doing: lifting, application: 'pgcarve-rollback' }, (legacy) => emitSealLift(legacy, options.slot, options.service)).catch((error: unknown) => {
    throw classify(error, lifting);
  });
  const waited = await waitForFence(options.serviceUrls, options.slot, liftLsn, options.timeoutMs, { services: [options.service], ...(options.signal ? { signal: options.signal } : {}) });
  if (!waited.reached) return { kind: 'not-applied', liftLsn, reason: `${describeFenceResult(waited)}; is the sidecar running (pgcarve status)?` };
  const recording = `recording the rollback of ${options.service} in pgcarve.cutover`;
  await withClient(options.serviceUrls[options.service], { doing: recording, application: 'pgcarve-rollback' }, (target) =>
    target.query('UPDATE pgcarve.cutover SET rolled_back_at = coalesce(rolled_back_at, now()) WHERE slot = $1', [options.slot]),
  ).catch((error: unknown) => {
    throw classify(error, recording);
  });
  return { kind: 'lifted', liftLsn };
}
