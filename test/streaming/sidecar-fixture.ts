import type pg from 'pg';
import { LEGACY_RULES } from '../../mappings/index.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { LegacyTableRule } from '../../mappings/table-mapping.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { sidecarParts } from '../../src/runtime.js';
import { Sidecar, type SidecarOptions } from '../../src/sidecar.js';
import type { WriterObserver } from '../../src/targets/target-writer.js';
import type { ServiceName } from '../../mappings/services.js';
import { withClient, type TestDatabases } from '../harness/databases.js';

/** A sidecar running in this process on the test databases, with helpers to write and wait. */
export interface RunningSidecar {
  readonly sidecar: Sidecar;
  readonly config: Config;
  readonly stop: () => Promise<void>;
  /** Resolves once every service has applied everything committed so far. */
  readonly sync: (timeoutMs?: number) => Promise<void>;
}

/** What a test may change of the sidecar: its options, the rules it maps by, the writers' observer. */
export type SidecarExtras = Partial<SidecarOptions> & { readonly rules?: readonly LegacyTableRule[]; readonly observer?: WriterObserver };

export async function startSidecar(dbs: TestDatabases, overrides: Record<string, string> = {}, extra: SidecarExtras = {}): Promise<RunningSidecar> {
  const config = loadConfig({ ...dbs.env, ...overrides });
  const log = process.env.PGCARVE_TEST_LOG ? createLogger('debug') : silentLogger;
  let streaming: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (streaming = resolve));
  const { rules, observer, ...options } = extra;
  const sidecar = new Sidecar({
    config,
    parts: sidecarParts(config, new RoutingTable(rules ?? LEGACY_RULES), options.log ?? log, observer),
    log,
    backoffMs: [50, 500],
    ...options,
    onPhase: (phase) => {
      if (phase === 'streaming') streaming();
      extra.onPhase?.(phase);
    },
  });
  const controller = new AbortController();
  const running = sidecar.run(controller.signal);
  let failure: unknown;
  running.catch((error: unknown) => (failure = error));
  await Promise.race([started, running]);
  if (failure) throw failure;
  const sync = async (timeoutMs = 30_000): Promise<void> => {
    if (failure) throw failure;
    const fence = await emitFence(config.legacyUrl);
    const result = await waitForFence(config.serviceUrls, config.slot, fence, timeoutMs);
    if (failure) throw failure;
    if (!result.reached) throw new Error(`not in sync: ${JSON.stringify(result.services, (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
  };
  return {
    sidecar,
    config,
    sync,
    stop: async () => {
      controller.abort();
      await running.catch(() => undefined);
    },
  };
}

export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  return await withClient(url, async (client) => {
    await client.query("SET TIME ZONE 'UTC'");
    return (await client.query<T>(sql, values)).rows;
  });
}

export function target(dbs: TestDatabases, service: ServiceName): string {
  return dbs.serviceUrls[service];
}
