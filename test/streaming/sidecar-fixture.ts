import type pg from 'pg';
import { LEGACY_RULES } from '../../mappings/index.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { Sidecar } from '../../src/sidecar.js';
import type { ServiceName } from '../../src/router/service.js';
import { withClient, type TestDatabases } from '../harness/databases.js';

/** A sidecar running in this process on the test databases, with helpers to write and wait. */
export interface RunningSidecar {
  readonly sidecar: Sidecar;
  readonly config: Config;
  readonly stop: () => Promise<void>;
  /** Resolves once every service has applied everything committed so far. */
  readonly sync: (timeoutMs?: number) => Promise<void>;
}

export async function startSidecar(dbs: TestDatabases, overrides: Record<string, string> = {}, extra: Partial<ConstructorParameters<typeof Sidecar>[0]> = {}): Promise<RunningSidecar> {
  const config = loadConfig({ ...dbs.env, ...overrides });
  const log = process.env.PGCARVE_TEST_LOG ? createLogger('debug') : silentLogger;
  let streaming: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (streaming = resolve));
  const sidecar = new Sidecar({
    config,
    rules: LEGACY_RULES,
    log,
    backoffMs: [50, 500],
    ...extra,
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
