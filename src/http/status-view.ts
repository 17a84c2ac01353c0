import { redactText } from '../config/redact.js';
import { withoutValues } from '../errors/without-values.js';
import { formatLsn, lsnDistance, type Lsn } from '../lsn.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import type { ReverseProgress } from '../reverse/reverse-stream.js';
import type { Phase, SidecarSnapshot } from '../sidecar.js';
import type { SlotHealth } from '../metrics/slot-health.js';
import { driftRows, type DriftReport, type ServiceDrift } from '../verify/drift-report.js';
import type { BackfillTableState, TargetState } from './target-state.js';

/**
 * The answer of GET /status and of `pgcarve status --json`. LSNs are PostgreSQL's 'X/Y' text.
 * Names, counts, positions and error kinds only: no connection string, no row value.
 * A field is null when its source could not be read (the sidecar not running, a database down).
 */
export interface StatusView {
  readonly generatedAt: string;
  readonly sidecar: {
    readonly reachable: boolean;
    readonly phase: Phase | null;
    readonly ready: boolean | null;
    readonly sourceConnected: boolean | null;
    readonly lastError: string | null;
  };
  readonly slot: {
    readonly name: string;
    readonly publication: string;
    readonly exists: boolean | null;
    readonly active: boolean | null;
    readonly walStatus: string | null;
    readonly retainedWalBytes: number | null;
    /** 'unlimited' when max_slot_wal_keep_size is -1. */
    readonly safeWalSizeBytes: number | 'unlimited' | null;
    readonly restartLsn: string | null;
    readonly confirmedFlushLsn: string | null;
  };
  /** The legacy server's current WAL position. */
  readonly legacyLsn: string | null;
  /** Why the legacy database could not be read. */
  readonly legacyError: string | null;
  readonly acknowledgedLsn: string | null;
  readonly services: readonly ServiceStatus[];
  /** Legacy tables neither mapped nor excluded (not migrated). */
  readonly unroutedTables: readonly string[] | null;
  readonly excludedTables: readonly { readonly table: string; readonly reason: string }[];
}

export interface ServiceStatus {
  readonly service: ServiceName;
  /** Everything below it is applied (the sidecar's view, including idle progress not yet written). */
  readonly appliedLsn: string | null;
  /** pgcarve.checkpoint as written in the service database. */
  readonly checkpointLsn: string | null;
  readonly lastAppliedCommitTime: string | null;
  /** When `pgcarve cutover` cut the service over: its database is the source of truth since. */
  readonly cutOverAt: string | null;
  /** The LSN of the cutover seal: legacy changes committed after it are not applied to the service. */
  readonly sealLsn: string | null;
  /**
   * Legacy changes held back by the seal since the sidecar started, per legacy table, with the
   * commit LSN of the last one (null when the sidecar did not answer).
   */
  readonly legacyWritesAfterCutover: readonly LegacyWritesAfterCutover[] | null;
  /** `forward`, `cut over: reverse` (the service writes; its changes go back to legacy) or `rolled back`. */
  readonly direction: TargetState['direction'] | null;
  /** The reverse stream of a cut-over service, as the running sidecar sees it (null otherwise). */
  readonly reverse: ReverseStatus | null;
  readonly lagBytes: number | null;
  readonly lagSeconds: number | null;
  readonly writer: { readonly state: 'starting' | 'running' | 'behind' | 'stopped' | 'unknown'; readonly errorKind: string | null; readonly error: string | null };
  readonly backfill: readonly BackfillTableState[] | null;
  readonly drift: DriftStatus | null;
  /** Why the service database could not be read. */
  readonly databaseError: string | null;
}

export interface LegacyWritesAfterCutover {
  readonly table: string;
  readonly changes: number;
  readonly lastLsn: string;
}

/** A reverse stream: applied position in the service database's WAL, lag, state and its error. */
export interface ReverseStatus {
  readonly state: ReverseProgress['state']['kind'];
  readonly appliedLsn: string;
  readonly lagBytes: number;
  readonly errorKind: string | null;
  readonly error: string | null;
}

/** The last drift check of a service: only drifted tables are listed. */
export interface DriftStatus {
  readonly checkedAt: string;
  readonly outcome: ServiceDrift['outcome']['kind'];
  readonly reason: string | null;
  readonly driftRows: number;
  readonly checkedRows: number;
  readonly tables: readonly { readonly table: string; readonly missing: number; readonly extra: number; readonly different: number }[];
}

/** What a status is built from; every part but the config is optional. */
export interface StatusParts {
  readonly slot: string;
  readonly publication: string;
  readonly snapshot?: SidecarSnapshot;
  readonly ready?: boolean;
  readonly slotHealth?: SlotHealth;
  readonly legacyError?: Error;
  readonly targets: ReadonlyMap<ServiceName, TargetState | Error>;
  readonly drift?: DriftReport;
  /** The running sidecar's held changes per service (PgcarveMetrics.legacyWritesAfterCutover). */
  readonly legacyWritesAfterCutover?: (service: ServiceName) => readonly LegacyWritesAfterCutover[];
  readonly reverse?: readonly ReverseProgress[];
  readonly unroutedTables?: readonly string[];
  readonly excludedTables: readonly { readonly table: string; readonly reason: string }[];
}

const lsn = (value: Lsn | undefined): string | null => (value === undefined ? null : formatLsn(value));

/**
 * Driver messages can quote a rejected value ("invalid input syntax for type integer: "…""):
 * keep the message, drop the value. Connection strings are redacted.
 */
export function safeMessage(text: string): string {
  return withoutValues(redactText(text));
}

export function driftStatus(drift: ServiceDrift, finishedAt: string): DriftStatus {
  const outcome = drift.outcome;
  return {
    checkedAt: finishedAt,
    outcome: outcome.kind,
    reason: outcome.kind === 'verified' ? null : safeMessage(outcome.reason),
    driftRows: drift.tables.reduce((sum, t) => sum + driftRows(t), 0),
    checkedRows: drift.tables.reduce((sum, t) => sum + t.checkedRows, 0),
    tables: drift.tables.filter((t) => driftRows(t) > 0).map((t) => ({ table: t.table, missing: t.missing, extra: t.extra, different: t.different })),
  };
}

export function buildStatus(parts: StatusParts): StatusView {
  const { snapshot, slotHealth } = parts;
  const legacyLsn = slotHealth?.currentLsn;
  return {
    generatedAt: new Date().toISOString(),
    sidecar: {
      reachable: snapshot !== undefined,
      phase: snapshot?.phase ?? null,
      ready: parts.ready ?? null,
      sourceConnected: snapshot?.sourceConnected ?? null,
      lastError: snapshot?.lastError === undefined ? null : safeMessage(snapshot.lastError),
    },
    slot: {
      name: parts.slot,
      publication: parts.publication,
      exists: slotHealth?.exists ?? null,
      active: slotHealth?.active ?? null,
      walStatus: slotHealth?.walStatus ?? null,
      retainedWalBytes: slotHealth?.retainedWalBytes ?? null,
      safeWalSizeBytes: slotHealth?.safeWalSizeBytes === Number.POSITIVE_INFINITY ? 'unlimited' : (slotHealth?.safeWalSizeBytes ?? null),
      restartLsn: lsn(slotHealth?.restartLsn),
      confirmedFlushLsn: lsn(slotHealth?.confirmedFlushLsn),
    },
    legacyLsn: lsn(legacyLsn ?? snapshot?.sourceLsn),
    legacyError: parts.legacyError ? safeMessage(parts.legacyError.message) : null,
    acknowledgedLsn: lsn(snapshot?.acknowledgedLsn),
    services: SERVICES.map((service): ServiceStatus => {
      const progress = snapshot?.services.find((s) => s.service === service);
      const target = parts.targets.get(service);
      const state = target instanceof Error || target === undefined ? undefined : target;
      const drift = parts.drift?.services.find((s) => s.service === service);
      const dbLag = legacyLsn !== undefined && state ? lsnDistance(legacyLsn, state.checkpoint) : undefined;
      return {
        service,
        appliedLsn: lsn(progress?.appliedLsn),
        checkpointLsn: lsn(state?.checkpoint),
        lastAppliedCommitTime: state?.lastCommitTime ?? null,
        cutOverAt: state?.cutOverAt ?? null,
        sealLsn: state?.sealLsn ?? null,
        legacyWritesAfterCutover: parts.legacyWritesAfterCutover?.(service) ?? null,
        direction: state?.direction ?? null,
        reverse: reverseStatus(parts.reverse?.find((r) => r.service === service)),
        lagBytes: progress?.lagBytes ?? dbLag ?? null,
        lagSeconds: progress ? Math.round(progress.lagSeconds * 1000) / 1000 : dbLag === 0 ? 0 : null,
        writer: progress
          ? {
              state: progress.state.kind,
              errorKind: progress.state.kind === 'stopped' || progress.state.kind === 'behind' ? progress.state.error.kind : null,
              error: progress.state.kind === 'stopped' || progress.state.kind === 'behind' ? safeMessage(progress.state.error.message) : null,
            }
          : { state: 'unknown', errorKind: null, error: null },
        backfill: state?.backfill ?? null,
        drift: drift && parts.drift ? driftStatus(drift, parts.drift.finishedAt) : null,
        databaseError: target instanceof Error ? safeMessage(target.message) : null,
      };
    }),
    unroutedTables: snapshot?.unroutedTables ?? parts.unroutedTables ?? null,
    excludedTables: parts.excludedTables,
  };
}

/**
 * `pgcarve status`: the view read from the databases, completed with what only the running sidecar
 * knows (phase, writer states, lag in seconds, drift) when its /status answered.
 */
export function withSidecarView(fromDatabases: StatusView, sidecar: StatusView): StatusView {
  return {
    ...fromDatabases,
    sidecar: { ...sidecar.sidecar, reachable: true },
    acknowledgedLsn: sidecar.acknowledgedLsn,
    // Read just now from the legacy database: fresher than the sidecar's last poll.
    unroutedTables: fromDatabases.unroutedTables ?? sidecar.unroutedTables,
    services: fromDatabases.services.map((db) => {
      const live = sidecar.services.find((s) => s.service === db.service);
      if (!live) return db;
      return { ...db, appliedLsn: live.appliedLsn, lagBytes: live.lagBytes, lagSeconds: live.lagSeconds, writer: live.writer, drift: live.drift, legacyWritesAfterCutover: live.legacyWritesAfterCutover ?? null, reverse: live.reverse };
    }),
  };
}

function reverseStatus(progress: ReverseProgress | undefined): ReverseStatus | null {
  if (!progress) return null;
  const { state } = progress;
  const error = state.kind === 'stopped' || state.kind === 'reconnecting' ? state.error : undefined;
  return { state: state.kind, appliedLsn: formatLsn(progress.appliedLsn), lagBytes: progress.lagBytes, errorKind: error?.kind ?? null, error: error ? safeMessage(error.message) : null };
}
