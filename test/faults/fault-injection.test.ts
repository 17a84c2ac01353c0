import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import { startWorkload, type Workload } from '../../tools/workload/live-workload.js';
import { Prng } from '../../tools/workload/prng.js';
import { seedLegacy } from '../../tools/workload/seed.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { FAULT_KINDS, injectFault, type FaultContext, type FaultKind } from './fault-kinds.js';
import { describeFence, fenceAfterFault } from './fence-after-fault.js';
import { commitBurst } from './legacy-burst.js';
import { sql } from './suite-connection.js';
import type { TableLock } from './table-lock.js';
import { TcpProxy } from './tcp-proxy.js';
import { auditFindings, installAudit } from './write-audit.js';

/**
 * Nothing lost, nothing applied twice, through the failures a production database produces: while
 * a live workload writes to all five services on top of a backlog, the sidecar (in this process,
 * never restarted) gets PGCARVE_FAULTS faults (default 30), in a seeded random order: walsender
 * terminated, every target connection terminated, a target table locked until its writer's queue
 * is full and then that writer terminated, the server restarted cleanly, connections cut or
 * stalled at the test's TCP proxies, and three kills in quick succession (the later ones land
 * during the recovery from the first). After each, a fence measures the recovery. At the end every
 * target equals the oracle, the audit trigger saw each row written once, and the sidecar is ready.
 *
 * PGCARVE_FAULTS=200 PGCARVE_FAULT_BUDGET_SECONDS=900 runs longer; PGCARVE_FAULT_SEED repeats an order.
 */
const FAULTS = envInt('PGCARVE_FAULTS', 30);
const BUDGET_MS = envInt('PGCARVE_FAULT_BUDGET_SECONDS', 100) * 1000;
const SEED = envInt('PGCARVE_FAULT_SEED', Math.floor(Math.random() * 1_000_000));
/** The longest a fence may take after a fault before the fault counts as not recovered. */
const RECOVERY_TIMEOUT_MS = 30_000;

let cluster: EmbeddedCluster | undefined;
let dbs: TestDatabases | undefined;
let legacyProxy: TcpProxy | undefined;
const targetProxies: Partial<Record<ServiceName, TcpProxy>> = {};
let running: RunningSidecar | undefined;
let workload: Workload | undefined;
const locks = new Set<TableLock>();

function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number, got ${value}`);
  return n;
}

beforeAll(async () => {
  // A cluster of this file's own: it is restarted under the sidecar.
  // Legacy and targets share this server: a fast shutdown makes the walsender wait for the
  // sidecar to confirm everything sent, which it cannot while its targets (here, the same server)
  // are going down too; a short wal_sender_timeout ends that wait in seconds rather than a minute.
  cluster = await EmbeddedCluster.create({ name: 'faults', settings: { wal_sender_timeout: '5s' } });
  dbs = await createTestDatabases({ adminUrl: cluster.url() });
  legacyProxy = await TcpProxy.start({ upstreamPort: cluster.port });
  for (const service of SERVICES) targetProxies[service] = await TcpProxy.start({ upstreamPort: cluster.port });
  await installAudit(dbs.serviceUrls);
  // The slot, created on empty legacy tables by a sidecar that then stops; everything after
  // streams. The backlog: the seed (all 19 tables, one transaction) and bulk inserts.
  await (await startSidecar(dbs)).stop();
  const legacy = new pg.Client(dbs.legacyUrl);
  await legacy.connect();
  try {
    await seedLegacy(legacy, { scale: 1, seed: SEED });
  } finally {
    await legacy.end();
  }
  await commitBurst(dbs.legacyUrl, 'scraper_results', 60, 100);
  await commitBurst(dbs.legacyUrl, 'ai_training_data', 60, 100);
}, 240_000);

afterAll(async () => {
  const steps: (() => Promise<unknown>)[] = [
    async () => await workload?.stop(),
    async () => await Promise.all([...locks].map((l) => l.release())),
    async () => await running?.stop(),
    async () => await legacyProxy?.close(),
    async () => await Promise.all(Object.values(targetProxies).map((p) => p.close())),
    async () => await dbs?.drop(),
    async () => await cluster?.destroy(),
  ];
  for (const step of steps) await step().catch((error: unknown) => console.error('fault suite cleanup:', error));
}, 120_000);

interface FaultRecord {
  readonly index: number;
  readonly kind: FaultKind;
  readonly detail: string;
  /** From injection to the fault being lifted. */
  readonly faultMs: number;
  /** From injection to the next fence reached everywhere; undefined when it was not reached. */
  readonly recoveryMs: number | undefined;
  readonly fence: string;
}

/** The next FAULTS kinds: every kind in turn, each round of them shuffled. */
function faultPlan(count: number, rng: Prng): FaultKind[] {
  const plan: FaultKind[] = [];
  while (plan.length < count) {
    const round = [...FAULT_KINDS];
    for (let i = round.length - 1; i > 0; i -= 1) {
      const j = rng.int(0, i);
      [round[i], round[j]] = [round[j] as FaultKind, round[i] as FaultKind];
    }
    plan.push(...round);
  }
  return plan.slice(0, count);
}

function summary(records: readonly FaultRecord[]): string[] {
  return FAULT_KINDS.map((kind) => {
    const of = records.filter((r) => r.kind === kind);
    const times = of.map((r) => r.recoveryMs).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    const pick = (q: number): number | undefined => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    const notRecovered = of.length - times.length;
    return `fault ${kind} ×${of.length}: recovery (fault to next fence) min ${times[0] ?? '-'} ms, median ${pick(0.5) ?? '-'} ms, max ${times.at(-1) ?? '-'} ms${notRecovered ? `, ${notRecovered} NOT recovered` : ''}; e.g. ${of[0]?.detail ?? 'none injected'}`;
  });
}

describe('fault injection under a live multi-service workload', () => {
  it(`loses nothing and applies nothing twice through ${FAULTS} faults; the sidecar recovers in-process`, async () => {
    const d = dbs as TestDatabases;
    const c = cluster as EmbeddedCluster;
    const rng = new Prng(SEED);
    // A 1 MiB queue per writer: the lock fault's burst (fault-kinds.ts) fills it well before its deadline.
    const overrides: Record<string, string> = { DATABASE_URL_LEGACY: (legacyProxy as TcpProxy).url(d.legacyUrl), PGCARVE_TARGET_QUEUE_BYTES: String(1024 * 1024) };
    for (const service of SERVICES) overrides[SERVICE_URL_KEYS[service]] = (targetProxies[service] as TcpProxy).url(d.serviceUrls[service]);
    workload = startWorkload(d.legacyUrl, { ratePerSecond: 25, connections: 2, seed: SEED });
    // Some live transactions before the sidecar starts: part of the backlog.
    await waitFor('the workload to commit a first backlog', () => (workload as Workload).stats().transactions >= 50, 60_000);
    running = await startSidecar(d, overrides, { backoffMs: [50, 1_000] });
    const sidecar = running.sidecar;
    const ctx: FaultContext = { cluster: c, dbs: d, legacyProxy: legacyProxy as TcpProxy, targetProxies: targetProxies as Record<ServiceName, TcpProxy>, sidecar, rng, locks };

    // Faults start once the replication connection is up (through the legacy proxy).
    await waitFor('the slot to be streaming', async () => (await sql<{ active: boolean }>(d.adminUrl, 'SELECT active FROM pg_replication_slots WHERE slot_name = $1', [d.slot]))[0]?.active === true, 30_000);

    const records: FaultRecord[] = [];
    const occurrences = new Map<FaultKind, number>();
    const started = Date.now();
    let stoppedEarly: string | undefined;
    for (const [index, kind] of faultPlan(FAULTS, rng).entries()) {
      const remaining = BUDGET_MS - (Date.now() - started);
      if (remaining <= 0) {
        stoppedEarly = `time budget of ${BUDGET_MS / 1000} s used up after ${records.length} faults`;
        break;
      }
      const at = Date.now();
      const occurrence = occurrences.get(kind) ?? 0;
      occurrences.set(kind, occurrence + 1);
      const outcome = await injectFault(ctx, kind, occurrence);
      const fence = await fenceAfterFault(d, sidecar, Math.max(5_000, Math.min(RECOVERY_TIMEOUT_MS, remaining)));
      const record: FaultRecord = {
        index,
        kind,
        detail: outcome.detail,
        faultMs: outcome.liftedAt - at,
        recoveryMs: fence.kind === 'reached' ? fence.at - at : undefined,
        fence: describeFence(fence),
      };
      records.push(record);
      if (process.env.PGCARVE_TEST_LOG) console.log(`fault #${index} ${kind}: ${record.detail}; fence ${record.fence} after ${record.recoveryMs ?? '-'} ms`);
      if (fence.kind === 'writer_stopped') {
        stoppedEarly = `after fault #${index} (${kind}: ${record.detail}) the ${fence.service} writer stopped: ${fence.message}`;
        break;
      }
    }
    const loopMs = Date.now() - started;
    const workloadStats = await (workload as Workload).stop();
    for (const line of summary(records)) console.log(line);
    console.log(
      `fault run (seed ${SEED}): ${records.length} faults in ${(loopMs / 1000).toFixed(1)} s; workload ${workloadStats.transactions} transactions committed, ${workloadStats.errors} failed (${JSON.stringify(workloadStats.errorCodes)})`,
    );

    const history = records.map((r) => `#${r.index} ${r.kind} (${r.detail}) → fence ${r.fence}${r.recoveryMs === undefined ? '' : ` in ${r.recoveryMs} ms`}`).join('\n  ');
    const context = `seed ${SEED}; last fault: ${records.at(-1)?.kind ?? 'none'}; ${stoppedEarly ?? 'all planned faults injected'}\n  ${history}`;

    // The final fence, through the proxies as the sidecar sees the databases.
    let syncError: string | undefined;
    await running.sync(90_000).catch((error: unknown) => (syncError = String(error)));
    expect.soft(syncError, `final sync failed; ${context}`).toBeUndefined();

    // The live workload wrote to every service during the faults.
    const written = new Set(Object.entries(workloadStats.tables).filter(([, w]) => w.inserted + w.updated + w.deleted > 0).map(([t]) => t));
    const untouched = SERVICES.filter((service) => ![...written].some((t) => sidecar.routing.bySource.get(t)?.services.includes(service)));
    expect.soft(untouched, 'services the live workload did not write to').toEqual([]);

    const mismatches = await compareWithOracle(d.legacyUrl, d.serviceUrls);
    const described = mismatches.map((m) => `${m.service}.${m.table}: ${m.missingCount} rows missing or different, ${m.unexpectedCount} unexpected`);
    expect.soft(described, `targets differ from the oracle; ${context}`).toEqual([]);

    const audit = await auditFindings(d.serviceUrls);
    const twice = audit.filter((a) => a.insertedTwice + a.updated + a.deletedTwice > 0).map((a) => `${a.service}.${a.table}: ${a.insertedTwice} ids inserted twice, ${a.updated} updated, ${a.deletedTwice} deleted twice (${a.examples.join('; ')})`);
    expect.soft(twice, `rows written more than once; ${context}`).toEqual([]);
    expect.soft(audit.every((a) => a.rowsWritten > 0), 'the audit saw writes on every audited table').toBe(true);

    const states = sidecar.snapshot().services.map((s) => `${s.service} ${s.state.kind}${s.state.kind === 'stopped' ? `: ${s.state.error.message}` : ''}`);
    expect.soft(states.filter((s) => !s.includes(' running')), `writers not running; ${context}`).toEqual([]);
    expect.soft(sidecar.ready(), `sidecar not ready (phase ${sidecar.phase}); ${context}`).toBe(true);
    expect.soft(stoppedEarly, context).toBeUndefined();
    expect.soft(records.filter((r) => r.recoveryMs === undefined).map((r) => `#${r.index} ${r.kind}: ${r.fence}`), `faults not recovered from within ${RECOVERY_TIMEOUT_MS} ms; ${context}`).toEqual([]);
    expect(records.length, context).toBe(FAULTS);
  }, BUDGET_MS + 120_000);
});
