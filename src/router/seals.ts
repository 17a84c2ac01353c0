import type { Lsn } from '../lsn.js';
import { isServiceName, type ServiceName } from '../../mappings/services.js';

/**
 * Per service, the LSN of its cutover seal (`pgcarve cutover`, cutover/seal-transaction.ts): the
 * stream never applies to that service a legacy change of a transaction that commits after it.
 *
 * Why it is exact, whenever the sidecar learns of it: the seal is a transactional logical message
 * (prefix `pgcarve.seal`) in the legacy WAL, committed by cutover while it holds SHARE locks on
 * every legacy table that feeds the service, so no change to those tables commits between the
 * message and its commit. The router sees it in commit order, like every change: transactions
 * decoded before it committed before it and are applied; every later one is held for that service
 * (counted, logged, never applied), even if it was already queued when cutover finished. The same
 * LSN is recorded in the service's `pgcarve.cutover` and loaded at every start, so a restarted
 * sidecar holds exactly the same transactions. A lift message (the rollback: liftSeal in
 * cutover/seal-transaction.ts, which then sets `rolled_back_at` in pgcarve.cutover) ends the
 * seal at its LSN. A seal is kept as a span (from the seal to the lift), not a flag, so that a
 * stream replayed after a reconnect, from before the lift, still holds what the span held.
 *
 * Sealed services still receive every transaction's begin and commit, so their writers keep
 * advancing their position (applied with no ops) and the slot is not held back.
 */
export type ServiceSeals = ReadonlyMap<ServiceName, readonly SealSpan[]>;

/** Transactions committing after `from` (and before `until`, when lifted) are sealed. */
export interface SealSpan {
  readonly from: Lsn;
  readonly until: Lsn | undefined;
}

export const NO_SEALS: ServiceSeals = new Map();

/** The prefix of cutover's seal and lift messages (pg_logical_emit_message). */
export const SEAL_PREFIX = 'pgcarve.seal';

/** A held change: a legacy change to `table` after `service` was sealed, in the transaction committing at `finalLsn`. */
export type SealedChange = (service: ServiceName, table: string, finalLsn: Lsn) => void;

const NONE: ReadonlySet<ServiceName> = new Set();

/** The services sealed for the transaction committing at `finalLsn`. */
export function sealedServices(seals: ServiceSeals, finalLsn: Lsn | undefined): ReadonlySet<ServiceName> {
  if (seals.size === 0 || finalLsn === undefined) return NONE;
  let sealed: Set<ServiceName> | undefined;
  for (const [service, spans] of seals) {
    if (spans.some((span) => finalLsn > span.from && (span.until === undefined || finalLsn < span.until))) (sealed ??= new Set()).add(service);
  }
  return sealed ?? NONE;
}

/**
 * `held` plus the services of `services` that are sealed at `finalLsn`; each of those is reported
 * to `onSealed` (the router calls this once per legacy change).
 */
export function holdSealed(
  held: ReadonlySet<ServiceName>,
  seals: ServiceSeals,
  services: readonly ServiceName[],
  table: string,
  finalLsn: Lsn | undefined,
  onSealed: SealedChange | undefined,
): ReadonlySet<ServiceName> {
  const sealed = sealedServices(seals, finalLsn);
  if (sealed.size === 0) return held;
  const out = new Set(held);
  for (const service of services) {
    if (!sealed.has(service)) continue;
    out.add(service);
    onSealed?.(service, table, finalLsn as Lsn);
  }
  return out;
}

/** What a seal message says: `seal` (cutover) or `lift` (rollback) the forward path of a service. */
export interface SealMessage {
  readonly action: 'seal' | 'lift';
  readonly slot: string;
  readonly service: ServiceName;
}

export function encodeSealMessage(message: SealMessage): string {
  return JSON.stringify({ v: 1, action: message.action, slot: message.slot, service: message.service });
}

/** The message, or undefined when it is not one this pgcarve understands (it is then ignored). */
export function decodeSealMessage(content: Buffer | string): SealMessage | undefined {
  try {
    const parsed = JSON.parse(content.toString()) as { v?: unknown; action?: unknown; slot?: unknown; service?: unknown };
    if (parsed.v !== 1 || (parsed.action !== 'seal' && parsed.action !== 'lift') || typeof parsed.slot !== 'string' || typeof parsed.service !== 'string' || !isServiceName(parsed.service)) return undefined;
    return { action: parsed.action, slot: parsed.slot, service: parsed.service };
  } catch {
    return undefined;
  }
}

/**
 * The seals after a seal message at `messageLsn`. A seal while one is in force changes nothing
 * (cutover run twice: the first seal holds), and so does a lift of a service not sealed; a lift
 * ends the seal in force at its LSN. Replayed messages are no-ops (a span that already covers
 * the message's LSN).
 */
export function applySealMessage(seals: ServiceSeals, content: Buffer | string, messageLsn: Lsn): ServiceSeals {
  const message = decodeSealMessage(content);
  if (!message) return seals;
  const spans = seals.get(message.service) ?? [];
  const last = spans[spans.length - 1];
  const open = last !== undefined && last.until === undefined;
  const known = spans.some((span) => span.from === messageLsn || span.until === messageLsn || (messageLsn > span.from && (span.until === undefined || messageLsn < span.until)));
  let next: readonly SealSpan[];
  if (message.action === 'seal') {
    if (open || known) return seals;
    next = [...spans, { from: messageLsn, until: undefined }];
  } else {
    if (!open || messageLsn <= last.from) return seals;
    next = [...spans.slice(0, -1), { from: last.from, until: messageLsn }];
  }
  return new Map(seals).set(message.service, next);
}

/** Seals in force from these LSNs (what pgcarve.cutover records). */
export function sealsFrom(entries: Iterable<readonly [ServiceName, Lsn]>): ServiceSeals {
  return new Map([...entries].map(([service, from]) => [service, [{ from, until: undefined }]]));
}
