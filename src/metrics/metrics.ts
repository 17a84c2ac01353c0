import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BackfillObserver } from '../backfill/backfill-observer.js';
import type { SealObserver } from '../cutover/sealed-writes.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { ERROR_KINDS, type PgcarveError } from '../errors/pgcarve-error.js';
import type { ReverseObserver, ReverseProgress, ReverseState } from '../reverse/reverse-stream.js';
import type { SidecarSnapshot } from '../sidecar.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import type { SourceOp } from '../targets/target-op.js';
import type { WriterObserver, WriterState } from '../targets/target-writer.js';
import { DRIFT_KINDS, type DriftObserver, type ServiceOutcome, type TableDrift } from '../verify/drift-report.js';
import { WAL_STATUSES, type SlotHealth } from './slot-health.js';

export const METRIC_PREFIX = 'pgcarve_';

const SOURCE_OPS: readonly SourceOp[] = ['insert', 'update', 'delete', 'truncate'];
const WRITER_STATES = ['running', 'behind', 'stopped'] as const;
const REVERSE_STATES: readonly ReverseState['kind'][] = ['starting', 'streaming', 'reconnecting', 'stopped'];

/** What the gauges read at scrape time. */
export interface MetricsSource {
  readonly snapshot: () => SidecarSnapshot;
  readonly ready: () => boolean;
  readonly slot: () => SlotHealth | undefined;
  /** The target tables of each service, so that their counters exist (at 0) from the start. */
  readonly tablesByService: ReadonlyMap<ServiceName, readonly string[]>;
  /** The reverse streams of the cut-over services (none before a cutover). */
  readonly reverse?: () => readonly ReverseProgress[];
}

export interface PgcarveMetricsOptions {
  /** prom-client's process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
}

/**
 * Every metric pgcarve exports, in its own registry (Prometheus naming: the `pgcarve_` prefix, base
 * units, `_total` on counters, labels bounded to service, table, op, kind, state and status).
 *
 * Counters and the histogram are fed by events (it is the writers' observer, the drift check's and
 * the backfill's); gauges of the sidecar's state are read from `snapshot()` when scraped, so they
 * are never stale. Labelled counters are created at 0 for every known label set, so that rate()
 * and increase() see the first increment.
 */
export class PgcarveMetrics implements WriterObserver, DriftObserver, SealObserver, ReverseObserver {
  readonly registry = new Registry();
  /** The backfill's observer (a separate object: its stateChanged is not the writers'). */
  readonly backfill: BackfillObserver;
  private source: MetricsSource | undefined;

  private readonly transactions: Counter<'service'>;
  private readonly changes: Counter<'service' | 'table' | 'op'>;
  private readonly batchDuration: Histogram<'service'>;
  private readonly errors: Counter<'service' | 'kind'>;
  private readonly driftRows: Gauge<'service' | 'table' | 'kind'>;
  private readonly driftLastCheck: Gauge<'service'>;
  private readonly driftChecked: Counter<'service' | 'table'>;
  private readonly backfillRows: Counter<'service' | 'table'>;
  private readonly backfillRatio: Gauge<'service' | 'table'>;
  private readonly sealedWrites: Counter<'service' | 'table'>;
  /** Per service and legacy table: changes held by the seal, and the commit LSN of the last one. */
  private readonly sealedTally = new Map<ServiceName, Map<string, { changes: number; lastLsn: Lsn }>>();
  private readonly reverseTransactions: Counter<'service'>;
  private readonly reverseChanges: Counter<'service'>;
  private readonly reverseErrors: Counter<'service' | 'kind'>;

  constructor(options: PgcarveMetricsOptions = {}) {
    const registers = [this.registry];
    const metrics = this;
    const view = (): SidecarSnapshot | undefined => metrics.source?.snapshot();
    const perService = (name: string, help: string, value: (s: SidecarSnapshot['services'][number]) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['service'],
        registers,
        collect() {
          for (const s of view()?.services ?? []) this.set({ service: s.service }, value(s));
        },
      });
    };
    // An unlabelled gauge always has a sample: NaN when the value is unknown (no reading of the
    // slot yet), never a 0 that would read as "no WAL retained" or "no safe WAL left".
    const single = (name: string, help: string, value: () => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value() ?? Number.NaN);
        },
      });
    };

    perService(`${METRIC_PREFIX}replication_lag_bytes`, 'Bytes of legacy WAL the service has not applied yet: source position minus applied position (0 when caught up, also while the legacy database is idle).', (s) => s.lagBytes);
    perService(`${METRIC_PREFIX}replication_lag_seconds`, 'Age of the oldest committed legacy transaction the service has not applied yet (0 when caught up).', (s) => s.lagSeconds);
    perService(`${METRIC_PREFIX}applied_lsn`, 'The legacy WAL position (LSN as a number) below which the service has durably applied everything.', (s) => Number(s.appliedLsn));
    single(`${METRIC_PREFIX}source_lsn`, 'The legacy WAL position (LSN as a number) pgcarve knows the source has reached.', () => {
      const s = view();
      return s === undefined ? undefined : Number(s.sourceLsn);
    });
    single(`${METRIC_PREFIX}source_connected`, '1 while the replication connection to the legacy database is up.', () => (view()?.sourceConnected ? 1 : 0));
    single(`${METRIC_PREFIX}ready`, '1 when streaming with every writer running (what /readyz answers).', () => (this.source?.ready() ? 1 : 0));
    single(`${METRIC_PREFIX}unrouted_tables`, 'Legacy tables that are neither mapped nor excluded, so not migrated.', () => view()?.unroutedTables.length ?? 0);
    single(`${METRIC_PREFIX}slot_retained_wal_bytes`, 'WAL the legacy server keeps for the slot (current WAL position minus restart_lsn).', () => this.source?.slot()?.retainedWalBytes);
    single(`${METRIC_PREFIX}slot_safe_wal_size_bytes`, 'WAL that may still be written before the slot is in danger of losing WAL (pg_replication_slots.safe_wal_size; +Inf without max_slot_wal_keep_size).', () => this.source?.slot()?.safeWalSizeBytes);
    new Gauge({
      name: `${METRIC_PREFIX}slot_wal_status`,
      help: "The slot's wal_status: 1 for the current one of reserved, extended, unreserved, lost.",
      labelNames: ['status'],
      registers,
      collect() {
        const slot = metrics.source?.slot();
        this.reset();
        if (slot?.walStatus === undefined) return;
        for (const status of WAL_STATUSES) this.set({ status }, slot.walStatus === status ? 1 : 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}writer_state`,
      help: "1 for the state each service's writer is in: running, or stopped by an error that needs an operator.",
      labelNames: ['service', 'state'],
      registers,
      collect() {
        for (const s of view()?.services ?? []) {
          for (const state of WRITER_STATES) this.set({ service: s.service, state }, s.state.kind === state ? 1 : 0);
        }
      },
    });

    const reverse = (): readonly ReverseProgress[] => metrics.source?.reverse?.() ?? [];
    new Gauge({
      name: `${METRIC_PREFIX}reverse_lag_bytes`,
      help: 'Bytes of the service database WAL its reverse stream has not applied to the legacy tables yet (0 for a service that is not cut over: nothing to carry back).',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        const lags = new Map(reverse().map((p) => [p.service, p.lagBytes] as const));
        for (const service of new Set([...(view()?.services ?? []).map((s) => s.service), ...lags.keys()])) this.set({ service }, lags.get(service) ?? 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}reverse_applied_lsn`,
      help: 'The service database WAL position (LSN as a number) below which its reverse stream has applied everything to the legacy tables.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const p of reverse()) this.set({ service: p.service }, Number(p.appliedLsn));
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}reverse_state`,
      help: "1 for the state each service's reverse stream is in: off (the service is not cut over), starting, streaming, reconnecting, or stopped by an error that needs an operator.",
      labelNames: ['service', 'state'],
      registers,
      collect() {
        this.reset();
        const streams = new Map(reverse().map((p) => [p.service, p.state.kind] as const));
        const services = new Set([...(view()?.services ?? []).map((s) => s.service), ...streams.keys()]);
        for (const service of services) {
          const current = streams.get(service) ?? 'off';
          for (const state of ['off', ...REVERSE_STATES] as const) this.set({ service, state }, current === state ? 1 : 0);
        }
      },
    });
    this.reverseTransactions = new Counter({ name: `${METRIC_PREFIX}reverse_transactions_applied_total`, help: 'Service transactions with row changes the reverse stream applied to the legacy tables.', labelNames: ['service'], registers });
    this.reverseChanges = new Counter({ name: `${METRIC_PREFIX}reverse_changes_applied_total`, help: 'Legacy row writes the reverse stream made (one per service row change).', labelNames: ['service'], registers });
    this.reverseErrors = new Counter({ name: `${METRIC_PREFIX}reverse_errors_total`, help: 'Errors of the reverse streams, by error kind (transient ones are retried; others stop the stream).', labelNames: ['service', 'kind'], registers });

    this.transactions = new Counter({ name: `${METRIC_PREFIX}transactions_applied_total`, help: 'Legacy transactions applied to the service database (in batches that had changes for it).', labelNames: ['service'], registers });
    this.changes = new Counter({ name: `${METRIC_PREFIX}changes_applied_total`, help: 'Target row changes applied, by target table and legacy operation.', labelNames: ['service', 'table', 'op'], registers });
    this.batchDuration = new Histogram({
      name: `${METRIC_PREFIX}apply_batch_duration_seconds`,
      help: 'Time to apply and commit one target transaction (a batch of legacy transactions).',
      labelNames: ['service'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({ name: `${METRIC_PREFIX}errors_total`, help: 'Errors met while applying to a service database or checking it, by error kind.', labelNames: ['service', 'kind'], registers });
    this.driftRows = new Gauge({ name: `${METRIC_PREFIX}drift_rows`, help: 'Rows that differ from what the legacy database implies, as found by the last drift check of the table (missing, extra, different).', labelNames: ['service', 'table', 'kind'], registers });
    this.driftLastCheck = new Gauge({ name: `${METRIC_PREFIX}drift_last_check_timestamp_seconds`, help: 'When the last drift check of the service completed (Unix time).', labelNames: ['service'], registers });
    this.driftChecked = new Counter({ name: `${METRIC_PREFIX}drift_checked_rows_total`, help: 'Target rows compared with the legacy database by drift checks.', labelNames: ['service', 'table'], registers });
    this.backfillRows = new Counter({ name: `${METRIC_PREFIX}backfill_rows_total`, help: 'Rows copied by the backfill, by service and table.', labelNames: ['service', 'table'], registers });
    this.backfillRatio = new Gauge({ name: `${METRIC_PREFIX}backfill_progress_ratio`, help: 'Backfill progress of a table: rows copied over rows estimated (0 to 1).', labelNames: ['service', 'table'], registers });

    this.sealedWrites = new Counter({
      name: `${METRIC_PREFIX}legacy_writes_after_cutover_total`,
      help: 'Legacy changes to a table feeding a cut-over service, committed after its cutover seal: never applied to the service (find and stop the writer).',
      labelNames: ['service', 'table'],
      registers,
    });

    for (const service of SERVICES) {
      this.transactions.inc({ service }, 0);
      this.batchDuration.zero({ service });
      for (const kind of ERROR_KINDS) this.errors.inc({ service, kind }, 0);
    }
    this.backfill = {
      stateChanged: (service, table, state) => {
        if (state === 'copied') this.backfillRatio.set({ service, table }, 1);
      },
      rowsCopied: (service, table, rows) => this.backfillRows.inc({ service, table }, rows),
      progress: (service, table, rowsDone, rowsEstimated) => this.backfillProgress(service, table, rowsDone, rowsEstimated),
      finished: () => undefined,
    };
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  /** Where the scrape-time gauges read from (the running sidecar and the source poller). */
  bind(source: MetricsSource): void {
    this.source = source;
    for (const [service, tables] of source.tablesByService) {
      for (const table of tables) {
        for (const op of SOURCE_OPS) this.changes.inc({ service, table, op }, 0);
        this.driftChecked.inc({ service, table }, 0);
      }
    }
  }

  /** Legacy tables feeding each service: their legacy_writes_after_cutover_total exists at 0. */
  bindLegacyTables(sourcesByService: ReadonlyMap<ServiceName, readonly string[]>): void {
    for (const [service, tables] of sourcesByService) for (const table of tables) this.sealedWrites.inc({ service, table }, 0);
  }

  /** The exposition text for /metrics. */
  async text(): Promise<string> {
    return await this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // WriterObserver

  batchCommitted(service: ServiceName, info: { readonly seconds: number; readonly transactions: number; readonly changes: ReadonlyMap<string, number> }): void {
    this.transactions.inc({ service }, info.transactions);
    this.batchDuration.observe({ service }, info.seconds);
    for (const [key, count] of info.changes) {
      const [table = '', op = ''] = key.split('\u0000');
      this.changes.inc({ service, table, op }, count);
    }
  }

  error(service: ServiceName, error: PgcarveError): void {
    this.errors.inc({ service, kind: error.kind });
  }

  stateChanged(_service: ServiceName, _state: WriterState): void {
    // writer_state is read from the snapshot at scrape time.
  }

  // ReverseObserver

  reverseApplied(service: ServiceName, changes: number): void {
    this.reverseTransactions.inc({ service });
    this.reverseChanges.inc({ service }, changes);
  }

  reverseError(service: ServiceName, error: PgcarveError): void {
    this.reverseErrors.inc({ service, kind: error.kind });
  }

  // Backfill

  /**
   * Progress of one table's backfill into one service: `rowsDone` of `rowsEstimated` (which may be
   * below rowsDone; 0 means the table is empty, a negative value unknown). Rows are counted by
   * `backfill.rowsCopied`.
   */
  backfillProgress(service: ServiceName, table: string, rowsDone: number, rowsEstimated: number): void {
    const ratio = rowsEstimated > 0 ? Math.min(1, rowsDone / rowsEstimated) : rowsEstimated === 0 ? 1 : 0;
    this.backfillRatio.set({ service, table }, ratio);
  }

  // SealObserver

  legacyWriteAfterCutover(service: ServiceName, table: string, finalLsn: Lsn): void {
    this.sealedWrites.inc({ service, table });
    let tables = this.sealedTally.get(service);
    if (!tables) this.sealedTally.set(service, (tables = new Map()));
    const entry = tables.get(table);
    if (entry) {
      entry.changes += 1;
      if (finalLsn > entry.lastLsn) entry.lastLsn = finalLsn;
    } else tables.set(table, { changes: 1, lastLsn: finalLsn });
  }

  /** What /status shows: the held changes of `service` since this process started, per legacy table. */
  legacyWritesAfterCutover(service: ServiceName): readonly { readonly table: string; readonly changes: number; readonly lastLsn: string }[] {
    return [...(this.sealedTally.get(service) ?? new Map<string, { changes: number; lastLsn: Lsn }>())]
      .map(([table, e]) => ({ table, changes: e.changes, lastLsn: formatLsn(e.lastLsn) }))
      .sort((a, b) => a.table.localeCompare(b.table));
  }

  // DriftObserver

  rowsChecked(service: ServiceName, table: string, rows: number): void {
    this.driftChecked.inc({ service, table }, rows);
  }

  tableChecked(result: TableDrift): void {
    for (const kind of DRIFT_KINDS) this.driftRows.set({ service: result.service, table: result.table, kind }, result[kind]);
  }

  serviceChecked(service: ServiceName, outcome: ServiceOutcome, atMs: number): void {
    if (outcome.kind === 'verified') this.driftLastCheck.set({ service }, atMs / 1000);
    if (outcome.kind === 'failed') this.errors.inc({ service, kind: outcome.errorKind });
  }
}
