import pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { WriterSession, type SessionSettings } from './writer-session.js';
import { connect } from '../pg/with-client.js';

/**
 * Whether a target that made its writer fall behind can take changes again: it accepts a
 * connection, and within a short lock timeout the writer could lock its tables for writing and the
 * checkpoint row (so a table lock held elsewhere, or an earlier session still holding the
 * checkpoint, counts as not yet). Backends of the writer's earlier sessions are terminated first.
 *
 * Resolves with undefined when healthy, with the reason otherwise. Operator-facing problems (a
 * missing table, a privilege) count as healthy here: the session that opens next reports them.
 */
export async function probeTarget(settings: SessionSettings, stalePids: readonly number[], lockTimeoutMs = 1_000): Promise<PgcarveError | undefined> {
  let client: pg.Client | undefined;
  try {
    client = await connect(settings.url, { doing: `probing ${settings.service}`, application: `${WriterSession.applicationName(settings)} probe`.slice(0, 63), connectTimeoutMs: 5_000 });
    if (stalePids.length > 0) {
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND application_name = $2', [stalePids, WriterSession.applicationName(settings)]);
    }
    await client.query(`SET lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    await client.query('BEGIN');
    const tables = settings.tables.map((t) => `public.${pg.escapeIdentifier(t)}`);
    if (tables.length > 0) await client.query(`LOCK TABLE ${tables.join(', ')} IN ROW EXCLUSIVE MODE`);
    await client.query('SELECT 1 FROM pgcarve.checkpoint WHERE slot = $1 FOR UPDATE', [settings.slot]);
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === '55P03') {
      return new PgcarveError('target_stalled', `${settings.service}: a table of this service (or its checkpoint) is locked by another session; waiting for it to be released`);
    }
    const failure = classify(error, `probing ${settings.service}`);
    return failure.retryable ? failure : undefined;
  } finally {
    await client?.end().catch(() => undefined);
  }
}
