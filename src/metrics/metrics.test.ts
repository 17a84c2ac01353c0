import { describe, expect, it } from 'vitest';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { parseLsn, ZERO_LSN } from '../lsn.js';
import { SERVICES } from '../../mappings/services.js';
import type { SidecarSnapshot } from '../sidecar.js';
import { PgcarveMetrics } from './metrics.js';
import type { SlotHealth } from './slot-health.js';

const snapshot: SidecarSnapshot = {
  phase: 'streaming',
  slot: 'pgcarve',
  publication: 'pgcarve',
  sourceConnected: true,
  sourceLsn: parseLsn('0/2000'),
  acknowledgedLsn: parseLsn('0/1000'),
  services: SERVICES.map((service) => ({
    service,
    appliedLsn: service === 'user_db' ? parseLsn('0/1000') : parseLsn('0/2000'),
    persistedLsn: ZERO_LSN,
    lagBytes: service === 'user_db' ? 4096 : 0,
    lagSeconds: service === 'user_db' ? 12.5 : 0,
    state: service === 'user_db' ? { kind: 'stopped', error: new PgcarveError('column_missing', 'x') } : { kind: 'running' },
  })),
  unroutedTables: ['audit'],
  excludedTables: [],
  lastError: undefined,
};

function metricsWith(slot: SlotHealth | undefined): PgcarveMetrics {
  const metrics = new PgcarveMetrics({ defaultMetrics: false });
  metrics.bind({ snapshot: () => snapshot, ready: () => false, slot: () => slot, tablesByService: new Map([['user_db', ['users']]]) });
  return metrics;
}

describe('metrics', () => {
  it('reads the sidecar state at scrape time', async () => {
    const text = await metricsWith(undefined).text();
    expect(text).toContain('pgcarve_replication_lag_bytes{service="user_db"} 4096');
    expect(text).toContain('pgcarve_replication_lag_seconds{service="user_db"} 12.5');
    expect(text).toContain('pgcarve_replication_lag_bytes{service="document_db"} 0');
    expect(text).toContain(`pgcarve_applied_lsn{service="user_db"} ${0x1000}`);
    expect(text).toContain(`pgcarve_source_lsn ${0x2000}`);
    expect(text).toContain('pgcarve_writer_state{service="user_db",state="stopped"} 1');
    expect(text).toContain('pgcarve_writer_state{service="user_db",state="running"} 0');
    expect(text).toContain('pgcarve_writer_state{service="scraper_db",state="running"} 1');
    expect(text).toContain('pgcarve_unrouted_tables 1');
    expect(text).toContain('pgcarve_ready 0');
    expect(text).toContain('pgcarve_changes_applied_total{service="user_db",table="users",op="truncate"} 0');
    expect(text).toContain('pgcarve_errors_total{service="scraper_db",kind="deadlock"} 0');
  });

  it('shows an unread slot as NaN, never as 0, and one wal_status at 1', async () => {
    expect(await metricsWith(undefined).text()).toMatch(/^pgcarve_slot_safe_wal_size_bytes Nan$/m);
    const text = await metricsWith({
      readAtMs: 0,
      currentLsn: parseLsn('0/2000'),
      exists: true,
      active: true,
      restartLsn: parseLsn('0/1800'),
      confirmedFlushLsn: parseLsn('0/1900'),
      walStatus: 'unreserved',
      retainedWalBytes: 2048,
      safeWalSizeBytes: Number.POSITIVE_INFINITY,
    }).text();
    expect(text).toMatch(/^pgcarve_slot_retained_wal_bytes 2048$/m);
    expect(text).toMatch(/^pgcarve_slot_safe_wal_size_bytes \+Inf$/m);
    expect(text).toContain('pgcarve_slot_wal_status{status="unreserved"} 1');
    expect(text).toContain('pgcarve_slot_wal_status{status="reserved"} 0');
  });

  it.each([
    [50, 200, 0.25],
    [250, 200, 1],
    [0, 0, 1],
    [10, -1, 0],
  ])('backfill progress %d of %d is ratio %d', async (done, estimated, ratio) => {
    const metrics = metricsWith(undefined);
    metrics.backfill.progress('user_db', 'users', done, estimated);
    expect(await metrics.text()).toContain(`pgcarve_backfill_progress_ratio{service="user_db",table="users"} ${ratio}`);
  });

  it('counts writer batches, errors and backfill rows', async () => {
    const metrics = metricsWith(undefined);
    metrics.batchCommitted('user_db', { seconds: 0.02, transactions: 3, changes: new Map([['users\u0000insert', 5]]) });
    metrics.error('user_db', new PgcarveError('constraint_violation', 'x'));
    metrics.backfill.rowsCopied('user_db', 'users', 7);
    metrics.backfill.stateChanged('user_db', 'users', 'copied');
    const text = await metrics.text();
    expect(text).toContain('pgcarve_transactions_applied_total{service="user_db"} 3');
    expect(text).toContain('pgcarve_changes_applied_total{service="user_db",table="users",op="insert"} 5');
    expect(text).toContain('pgcarve_apply_batch_duration_seconds_count{service="user_db"} 1');
    expect(text).toContain('pgcarve_errors_total{service="user_db",kind="constraint_violation"} 1');
    expect(text).toContain('pgcarve_backfill_rows_total{service="user_db",table="users"} 7');
    expect(text).toContain('pgcarve_backfill_progress_ratio{service="user_db",table="users"} 1');
  });
});
