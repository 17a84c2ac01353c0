import { formatBytes } from '../bytes.js';
import type { ServiceStatus, StatusView } from './status-view.js';

/** Where to ask the sidecar on this machine: its own address, or loopback when it listens on all. */
export function sidecarHost(httpHost: string): string {
  return httpHost === '0.0.0.0' || httpHost === '::' ? '127.0.0.1' : httpHost;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function backfillSummary(s: ServiceStatus): string {
  if (s.backfill === null) return '-';
  if (s.backfill.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const b of s.backfill) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
  const copied = counts.get('copied') ?? 0;
  const others = [...counts].filter(([state]) => state !== 'copied').map(([state, n]) => `${n} ${state}`);
  return [`${copied}/${s.backfill.length} copied`, ...others].join(', ');
}

/** Rows copied, with the estimate only when there is one (an empty table's estimate is 0). */
function rowProgress(copied: number, estimated: number | null): string {
  return estimated !== null && estimated > 0 ? `${copied} of ~${estimated} rows` : `${copied} rows copied so far (no estimate)`;
}

function driftSummary(s: ServiceStatus): string {
  if (s.drift === null) return '-';
  if (s.drift.outcome !== 'verified') return `${s.drift.outcome} (${s.drift.checkedAt.slice(11, 19)}Z)`;
  return `${s.drift.driftRows === 0 ? 'none' : `${s.drift.driftRows} rows`} (${s.drift.checkedAt.slice(11, 19)}Z)`;
}

/** The status for a person: a header, one table row per service, then the details that need attention. */
export function renderStatus(view: StatusView, httpPort: number, httpHost = '127.0.0.1'): string {
  const lines: string[] = [];
  const sc = view.sidecar;
  lines.push(
    sc.reachable
      ? `sidecar: ${sc.phase ?? '?'}${sc.ready ? ', ready' : ', not ready'}${sc.sourceConnected ? '' : ', source disconnected'}${sc.lastError ? `; last error: ${sc.lastError}` : ''}`
      : httpPort === 0
        ? 'sidecar: not asked (PGCARVE_HTTP_PORT is 0, a port chosen at start; set it to the sidecar\'s port to see writer state, lag in seconds and drift)'
        : `sidecar: not answering on ${sidecarHost(httpHost)}:${httpPort} (writer state, lag in seconds and drift are unknown)`,
  );
  if (view.legacyError) lines.push(`legacy database: ${view.legacyError}`);
  const slot = view.slot;
  const safe = slot.safeWalSizeBytes === 'unlimited' ? 'unlimited' : formatBytes(slot.safeWalSizeBytes);
  lines.push(
    slot.exists === false
      ? `slot ${slot.name}: does not exist yet (pgcarve run creates it)`
      : `slot ${slot.name} (publication ${slot.publication}): ${slot.active ? 'active' : 'inactive'}, wal_status ${slot.walStatus ?? '-'}, retains ${formatBytes(slot.retainedWalBytes)}, safe size ${safe}`,
  );
  lines.push(`legacy WAL at ${view.legacyLsn ?? '-'}, acknowledged ${view.acknowledgedLsn ?? '-'}`);
  lines.push(`unrouted legacy tables: ${view.unroutedTables === null ? '-' : view.unroutedTables.length === 0 ? 'none' : view.unroutedTables.join(', ')}`);
  lines.push(`excluded: ${view.excludedTables.map((e) => e.table).join(', ') || 'none'}`);
  lines.push('');
  lines.push(
    table([
      ['SERVICE', 'WRITER', 'APPLIED', 'CHECKPOINT', 'LAG', 'LAG S', 'BACKFILL', 'DRIFT', 'DIRECTION'],
      ...view.services.map((s) => [
        s.service,
        s.writer.state,
        s.appliedLsn ?? '-',
        s.checkpointLsn ?? '-',
        formatBytes(s.lagBytes),
        s.lagSeconds === null ? '-' : s.lagSeconds.toFixed(1),
        backfillSummary(s),
        driftSummary(s),
        s.direction ?? '-',
      ]),
    ]),
  );
  for (const s of view.services) {
    const details: string[] = [];
    if (s.databaseError) details.push(`database: ${s.databaseError}`);
    if (s.cutOverAt) details.push(`cut over at ${s.cutOverAt}, sealed at ${s.sealLsn ?? '?'}: its database is the source of truth; the drift checks report it as sealed`);
    for (const w of s.legacyWritesAfterCutover ?? []) details.push(`LEGACY WRITES AFTER CUTOVER: ${w.changes} change(s) to ${w.table}, the last committed at ${w.lastLsn}; not applied to ${s.service}: find and stop that writer`);
    if (s.reverse) details.push(`reverse stream: ${s.reverse.state}, applied ${s.reverse.appliedLsn}, ${formatBytes(s.reverse.lagBytes)} behind${s.reverse.error ? `; ${s.reverse.errorKind}: ${s.reverse.error}` : ''}`);
    if (s.writer.error) details.push(`writer stopped (${s.writer.errorKind}): ${s.writer.error}`);
    for (const b of s.backfill ?? []) {
      if (b.state === 'repair-interrupted') details.push(`backfill ${b.table}: repair interrupted, NOT VERIFIED (cutover refuses): finish it with pgcarve backfill --service ${s.service} --table ${b.table}`);
      else if (b.state !== 'copied') details.push(`backfill ${b.table}: ${b.state}, ${rowProgress(b.rowsCopied, b.rowsEstimated)}`);
    }
    if (s.drift?.reason) details.push(`drift check: ${s.drift.outcome}: ${s.drift.reason}`);
    for (const t of s.drift?.tables ?? []) details.push(`drift ${t.table}: ${t.missing} missing, ${t.extra} extra, ${t.different} different (pgcarve verify --service ${s.service} shows keys)`);
    if (details.length > 0) lines.push('', `${s.service}:`, ...details.map((d) => `  ${d}`));
  }
  return lines.join('\n');
}
