import { parseArgs } from 'node:util';

import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { renderStatus, sidecarHost } from '../http/status-text.js';
import { buildStatus, withSidecarView, type StatusView } from '../http/status-view.js';
import { readTargetState, type TargetState } from '../http/target-state.js';
import { readSlotHealth, type SlotHealth } from '../metrics/slot-health.js';
import { RoutingTable } from '../router/routing-table.js';
import { readPublicTables } from '../source/public-tables.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';
import { withClient } from '../pg/with-client.js';
import { LEGACY_TARGET } from '../pg/legacy-target.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'where the migration stands: slot, positions, lag, writers, backfill and drift per service',
  usage: `Usage: pgcarve status [--json]

Reads the databases directly, so it works whether the sidecar runs or not: the legacy WAL position
and the slot (retained WAL, wal_status), each service database's checkpoint and backfill state,
and the legacy tables no mapping covers. When the sidecar answers on PGCARVE_HTTP_HOST (127.0.0.1
when it listens on all interfaces):PGCARVE_HTTP_PORT,
its view completes the picture: phase, writer states, lag in seconds, the last drift check.
--json prints the same object as GET /status.

Exit codes: 0 every database was read, 2 bad arguments or configuration, 3 a database could not
be read (what could be read is still printed).`,
  async run(ctx) {
    const { values } = parseArgs({ args: [...ctx.args], options: { json: { type: 'boolean', default: false } }, strict: true });
    const config = ctx.config();
    const view = await readStatus(config, ctx.mappings().routing);
    ctx.stdout(values.json ? `${JSON.stringify(view)}\n` : `${renderStatus(view, config.httpPort, config.httpHost)}\n`);
    const unreadable = view.legacyError !== null || view.services.some((s) => s.databaseError !== null);
    return unreadable ? EXIT.failure : EXIT.ok;
  },
};

/** The status from the databases, completed by the running sidecar's /status when it answers. */
export async function readStatus(config: Config, routing: RoutingTable): Promise<StatusView> {
  const [legacy, targets, sidecar] = await Promise.all([readLegacy(config, routing), readTargets(config), fetchSidecarStatus(sidecarHost(config.httpHost), config.httpPort)]);
  const fromDatabases = buildStatus({
    slot: config.slot,
    publication: config.publication,
    ...(legacy.health ? { slotHealth: legacy.health } : {}),
    ...(legacy.error ? { legacyError: legacy.error } : {}),
    ...(legacy.unrouted ? { unroutedTables: legacy.unrouted } : {}),
    targets,
    excludedTables: [...routing.excluded].map(([table, reason]) => ({ table, reason })),
  });
  return sidecar ? withSidecarView(fromDatabases, sidecar) : fromDatabases;
}

async function readLegacy(config: Config, routing: RoutingTable): Promise<{ health?: SlotHealth; unrouted?: readonly string[]; error?: Error }> {
  const doing = 'reading the legacy database (DATABASE_URL_LEGACY)';
  try {
    return await withClient(config.legacyUrl, { doing, target: LEGACY_TARGET, application: 'pgcarve-status', connectTimeoutMs: 5_000 }, async (client) => {
      const health = await readSlotHealth(client, config.slot);
      return { health, unrouted: routing.unrouted(await readPublicTables(client)) };
    });
  } catch (error) {
    return { error: classify(error, doing) };
  }
}

async function readTargets(config: Config): Promise<Map<ServiceName, TargetState | Error>> {
  const entries = await Promise.all(
    SERVICES.map(async (service) => [service, await readTargetState(config.serviceUrls[service], config.slot, service).catch((error: unknown) => classify(error, `reading ${service}`))] as const),
  );
  return new Map(entries);
}

/** The sidecar's own /status on this machine, or undefined when it does not answer within 2 s. */
async function fetchSidecarStatus(host: string, port: number): Promise<StatusView | undefined> {
  if (port === 0) return undefined;
  try {
    const response = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/status`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return undefined;
    return (await response.json()) as StatusView;
  } catch {
    return undefined;
  }
}
