import { MAPPINGS } from '../harness/mappings.js';
import { expect } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { createTestDatabases, withClient, type TestDatabases } from '../harness/databases.js';
import { seedLegacy, type SeedCounts } from '../observability/legacy-workload.js';
import { startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import type { Config } from '../../src/config/config.js';
import { runCutover } from '../../src/cutover/cutover.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { emitReverseFence, waitForReverseFence } from '../../src/reverse/reverse-fence.js';
import { reverseNames } from '../../src/reverse/reverse-names.js';
import { ReverseSupervisor } from '../../src/reverse/reverse-supervisor.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { driftRows } from '../../src/verify/drift-report.js';
import { verifyDrift } from '../../src/verify/drift-verifier.js';

export interface CutOverWorld {
  readonly dbs: TestDatabases;
  readonly sidecar: RunningSidecar;
  /** Stops the sidecar and drops the databases. */
  readonly drop: () => Promise<void>;
}

/** Test databases with a seeded legacy monolith, the forward sidecar in sync, and `services` cut over. */
export async function cutOverWorld(services: readonly ServiceName[], seed: SeedCounts, extra: Parameters<typeof startSidecar>[2] = {}): Promise<CutOverWorld> {
  const dbs = await createTestDatabases();
  const sidecar = await startSidecar(dbs, {}, extra);
  await seedLegacy(dbs.legacyUrl, seed);
  await sidecar.sync(60_000);
  for (const service of services) await cutOver(sidecar.config, service);
  return {
    dbs,
    sidecar,
    drop: async () => {
      await sidecar.stop();
      await dbs.drop();
    },
  };
}

/** An audit trigger on `tables`: every insert and update, in table `audit` (tbl, id, op) of the same transaction. */
export function auditSql(tables: readonly string[]): string {
  return [
    'CREATE TABLE audit (tbl text, id int, op text)',
    'CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (TG_TABLE_NAME, NEW.id, TG_OP); RETURN NEW; END $$',
    ...tables.map((t) => `CREATE TRIGGER audit AFTER INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION audit_row()`),
  ].join(';\n');
}

/** Cuts `service` over with the library call the CLI makes (the legacy side is idle in these tests). */
export async function cutOver(config: Config, service: ServiceName): Promise<void> {
  const report = await runCutover({ config, routing: MAPPINGS.routing, inverses: MAPPINGS.inverses, service, timeoutSeconds: 90, windowSeconds: 1, assumeFrozen: true });
  expect(report.ok, JSON.stringify(report.steps)).toBe(true);
}

export interface RunningReverse {
  readonly supervisor: ReverseSupervisor;
  readonly stop: () => Promise<void>;
}

/** The reverse streams as `pgcarve run` runs them, in this process. */
export function startReverse(config: Config): RunningReverse {
  const log = process.env.PGCARVE_TEST_LOG ? createLogger('debug') : silentLogger;
  const supervisor = new ReverseSupervisor({ config, inverses: MAPPINGS.inverses, log, pollIntervalMs: 100, backoffMs: [50, 500] });
  const controller = new AbortController();
  const running = supervisor.run(controller.signal);
  return {
    supervisor,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

/** Waits until the legacy database has applied everything `service` committed so far. */
export async function reverseSync(config: Config, service: ServiceName, timeoutMs = 60_000): Promise<void> {
  const fence = await emitReverseFence(config.serviceUrls[service], service);
  const result = await waitForReverseFence(config.legacyUrl, reverseNames(config.slot, service).slot, fence, timeoutMs);
  expect(result.reached, `reverse stream of ${service} did not reach its fence`).toBe(true);
}

/** Runs statements on a database, each string one transaction (a multi-statement string is one implicit transaction). */
export async function run(url: string, statements: readonly string[]): Promise<void> {
  await withClient(url, async (client) => {
    for (const sql of statements) await client.query(sql);
  });
}

/** The forward drift check of `service` (legacy rows mapped forward against its rows) finds nothing. */
export async function expectNoForwardDrift(config: Config, service: ServiceName): Promise<void> {
  const report = await verifyDrift({ legacyUrl: config.legacyUrl, serviceUrls: config.serviceUrls, slot: config.slot, routing: new RoutingTable(LEGACY_RULES), services: [service], includeCutOver: true, waitTimeoutMs: 60_000 });
  const drift = report.services[0];
  expect(drift?.outcome.kind, JSON.stringify(drift?.outcome)).toBe('verified');
  expect(drift?.tables.filter((t) => driftRows(t) > 0) ?? []).toEqual([]);
}
