import { getTableName } from 'drizzle-orm';
import type pg from 'pg';
import type { InverseMapping } from '../../mappings/inverse-mapping.js';
import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { ServiceName } from '../../mappings/services.js';
import { deleteReverseCheckpoint, ensureReverseCheckpoint } from '../state/reverse-checkpoint.js';
import { withClient } from '../pg/with-client.js';
import { reverseNames } from './reverse-names.js';
import { pause } from '../pause.js';

/** The service tables whose writes go back to legacy: those with an inverse mapping. */
export function reverseTables(inverses: readonly InverseMapping[], service: ServiceName): readonly string[] {
  return inverses.filter((i) => i.service === service).map((i) => getTableName(i.table)).sort();
}

/**
 * Sets up the reverse stream of a service, before the service may write to its database (the
 * cutover calls it just before it records the cutover): a publication of its owned tables and a
 * logical slot on the service database, which from this point keeps every change the service
 * makes; and, in the legacy database, the checkpoint table and the replication origin that tags
 * what the reverse stream writes (so the forward stream does not apply it again). Idempotent: an
 * existing slot keeps its position.
 */
export async function prepareReverse(config: Config, inverses: readonly InverseMapping[], service: ServiceName): Promise<void> {
  const names = reverseNames(config.slot, service);
  const tables = reverseTables(inverses, service);
  await setUp(config.serviceUrls[service], `preparing reverse replication in ${service}`, async (client) => {
    const wal = await client.query<{ wal_level: string }>("SELECT current_setting('wal_level') AS wal_level");
    if (wal.rows[0]?.wal_level !== 'logical') {
      throw new PgcarveError('server_misconfigured', `the server of ${service} has wal_level=${wal.rows[0]?.wal_level}: reverse replication needs wal_level=logical there (ALTER SYSTEM SET wal_level = logical, then restart it)`);
    }
    const list = tables.map((t) => `public.${client.escapeIdentifier(t)}`).join(', ');
    const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication]);
    if (publication.rowCount === 0) await client.query(`CREATE PUBLICATION ${client.escapeIdentifier(names.publication)} FOR TABLE ${list}`);
    else await client.query(`ALTER PUBLICATION ${client.escapeIdentifier(names.publication)} SET TABLE ${list}`);
    const slot = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot]);
    if (slot.rowCount === 0) await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [names.slot]);
  });
  await setUp(config.legacyUrl, 'preparing reverse replication in the legacy database', async (client) => {
    await ensureReverseCheckpoint(client);
    await client.query('SELECT pg_replication_origin_create($1) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = $1)', [names.origin]);
  });
}

/**
 * Removes the reverse stream of a service (rollback's last step): its slot (once the sidecar has
 * let go of it, or ending its walsender after 10 s) and publication on the service database, and its
 * checkpoint in the legacy database. Idempotent.
 */
export async function removeReverse(config: Config, service: ServiceName): Promise<void> {
  const names = reverseNames(config.slot, service);
  await setUp(config.serviceUrls[service], `removing reverse replication from ${service}`, async (client) => {
    for (let attempt = 0; ; attempt++) {
      // The sidecar stops the stream by itself once the seal is lifted; end it after 10 s.
      if (attempt >= 50) await client.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [names.slot]);
      try {
        await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [names.slot]);
        break;
      } catch (error) {
        // The walsender may take a moment to go, or the sidecar reconnect once more: try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 100) throw error;
        await pause(200);
      }
    }
    await client.query(`DROP PUBLICATION IF EXISTS ${client.escapeIdentifier(names.publication)}`);
  });
  await setUp(config.legacyUrl, 'removing reverse replication state from the legacy database', (client) => deleteReverseCheckpoint(client, names.slot));
}

/** `f` on a connection to `url`; a failure of either is classified as `what`. */
async function setUp<T>(url: string, what: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  try {
    return await withClient(url, { doing: what, application: 'pgcarve-reverse' }, f);
  } catch (error) {
    throw classify(error, what);
  }
}
