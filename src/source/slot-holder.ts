import { hostname } from 'node:os';
import { withClient } from '../pg/with-client.js';

/** The application_name of pgcarve's replication connection: the host (the pod) and the PID. */
export function streamApplicationName(): string {
  return `pgcarve ${hostname()} pid ${process.pid}`.slice(0, 63);
}

/** Who holds a replication slot, as the legacy server sees it. */
export interface SlotHolder {
  readonly serverPid: number | null;
  readonly applicationName: string | null;
  readonly clientAddress: string | null;
  readonly since: string | null;
}

/** Reads the holder of `slot` (pg_replication_slots.active_pid joined to pg_stat_activity), or null when none. */
export async function readSlotHolder(url: string, slot: string): Promise<SlotHolder | null> {
  return await withClient(url, { doing: `reading who holds replication slot ${slot}`, application: 'pgcarve-standby', connectTimeoutMs: 5_000 }, async (client) => {
    const result = await client.query<{ pid: number | null; application_name: string | null; client: string | null; since: string | null }>(
      `SELECT s.active_pid AS pid, a.application_name, coalesce(a.client_hostname, host(a.client_addr)) AS client,
              to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since
         FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid
        WHERE s.slot_name = $1 AND s.active`,
      [slot],
    );
    const row = result.rows[0];
    if (!row) return null;
    return { serverPid: row.pid, applicationName: row.application_name || null, clientAddress: row.client, since: row.since };
  });
}

/** The standby message: who holds the slot, where, since when, and what this process does. */
export function describeStandby(slot: string, holder: SlotHolder | null): string {
  const who = holder
    ? `${holder.applicationName?.startsWith('pgcarve') ? `another pgcarve (${holder.applicationName})` : `another consumer${holder.applicationName ? ` (${holder.applicationName})` : ''}`}, connected from ${holder.clientAddress ?? 'a local socket'}, server PID ${holder.serverPid ?? '?'}, since ${holder.since ?? '?'}`
    : 'another consumer (it released it meanwhile, or this role may not see it)';
  return `replication slot ${slot} is held by ${who}: this pgcarve stands by (phase standby) and retries with backoff, taking over when the slot is released; to run both, give this one its own PGCARVE_SLOT, or stop the other`;
}
