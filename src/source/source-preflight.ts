import pg from 'pg';
import { connectionFailure, describeTarget } from '../errors/connection-failure.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { connect } from '../pg/with-client.js';

const KEY = 'DATABASE_URL_LEGACY';

interface ReplicationSettings {
  readonly role: string;
  readonly replication: boolean;
  readonly maxSlots: number;
  readonly maxSenders: number;
  readonly slots: readonly string[];
}

async function readSettings(client: pg.ClientBase): Promise<ReplicationSettings> {
  const result = await client.query<{ role: string; replication: boolean; max_slots: string; max_senders: string }>(
    `SELECT current_user AS role, r.rolreplication OR r.rolsuper AS replication,
            current_setting('max_replication_slots') AS max_slots, current_setting('max_wal_senders') AS max_senders
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const slots = await client.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots ORDER BY slot_name');
  const row = result.rows[0];
  return {
    role: row?.role ?? '(unknown)',
    replication: row?.replication ?? false,
    maxSlots: Number(row?.max_slots ?? 0),
    maxSenders: Number(row?.max_senders ?? 0),
    slots: slots.rows.map((r) => r.slot_name),
  };
}

/**
 * Checks, before anything is created on the legacy side, what a logical replication slot needs
 * from the server and the role, and says which setting or privilege is missing with the statement
 * that fixes it: max_replication_slots and max_wal_senders above 0, a free slot when `slot` must
 * be created, and a replication connection the role may open (REPLICATION, or a cloud role that
 * grants it: the connection is what is tried, not the attribute).
 */
export async function checkReplication(client: pg.ClientBase, url: string, slot: string): Promise<void> {
  const s = await readSettings(client);
  const { where } = describeTarget(url);
  const restart = 'and restart PostgreSQL';
  if (s.maxSlots === 0) {
    throw new PgcarveError('server_misconfigured', `max_replication_slots is 0 on the legacy server (${where}): pgcarve needs one replication slot (one more while a backfill takes a fresh snapshot): run ALTER SYSTEM SET max_replication_slots = 10; ${restart}`);
  }
  if (s.maxSenders === 0) {
    throw new PgcarveError('server_misconfigured', `max_wal_senders is 0 on the legacy server (${where}): pgcarve streams over one replication connection (one more while a backfill takes a fresh snapshot): run ALTER SYSTEM SET max_wal_senders = 10; ${restart}`);
  }
  if (!s.slots.includes(slot) && s.slots.length >= s.maxSlots) {
    throw new PgcarveError(
      'server_misconfigured',
      `all ${s.maxSlots} replication slots of the legacy server (${where}) are taken (${s.slots.join(', ')}), so slot ${slot} cannot be created: drop one that is unused (SELECT pg_drop_replication_slot('name')) or run ALTER SYSTEM SET max_replication_slots = ${s.maxSlots + 2}; ${restart}`,
    );
  }
  let replication: pg.Client | undefined;
  try {
    replication = await connect(url, { doing: 'opening a replication connection to the legacy database', replication: true, application: 'pgcarve-preflight' });
    await replication.query('IDENTIFY_SYSTEM');
  } catch (thrown) {
    // The server's refusal, also of the connect (which connect() classified), decides the message.
    const error = thrown instanceof PgcarveError && thrown.cause !== undefined ? thrown.cause : thrown;
    const code = (error as { code?: unknown }).code;
    if (code === '28000' || code === '42501') {
      const why = s.replication ? 'the server refused it (check that pg_hba.conf allows this client for the legacy database)' : `role ${s.role} has no REPLICATION attribute`;
      throw new PgcarveError(
        'privilege',
        `the legacy role ${s.role} may not open a replication connection (${KEY}, ${where}): ${why}; run ALTER ROLE ${pg.escapeIdentifier(s.role)} REPLICATION; as a superuser (on Amazon RDS: GRANT rds_replication TO ${pg.escapeIdentifier(s.role)}), or use a role that has it`,
        { cause: error },
      );
    }
    if (code === '53300') {
      throw new PgcarveError('server_misconfigured', `the legacy server (${where}) has no free replication connection (max_wal_senders = ${s.maxSenders}, all in use): stop an unused one or run ALTER SYSTEM SET max_wal_senders = ${s.maxSenders + 2}; ${restart}`, { cause: error });
    }
    throw connectionFailure(error, { key: KEY, url, label: 'the legacy database over a replication connection' });
  } finally {
    await replication?.end().catch(() => undefined);
  }
}
