import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStatus } from '../../src/http/status-text.js';
import { CONFIG_KEYS } from '../../src/config/config.js';
import { buildStatus } from '../../src/http/status-view.js';
import type { TargetState } from '../../src/http/target-state.js';
import { ZERO_LSN } from '../../src/lsn.js';
import type { ServiceName } from '../../mappings/services.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { runCli, secretsIn } from './operator-fixture.js';

let dbs: TestDatabases;
beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await dbs?.drop();
});

describe('command-line messages', () => {
  it('wait-sync --timeout 0 checks once without waiting (exit 1 when behind, not a usage error)', async () => {
    const result = await runCli(['wait-sync', '--timeout', '0'], dbs.env);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).not.toContain('--timeout must');
    expect(secretsIn(result, dbs.env)).toEqual([]);
  });

  it('wait-sync --timeout -1 gets pgcarve\'s own range check', async () => {
    const result = await runCli(['wait-sync', '--timeout', '-1'], dbs.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pgcarve wait-sync: --timeout must be a number of seconds from 0 to 86400, got "-1"\n');
  });

  it('verify reports every bad option at once', async () => {
    const result = await runCli(['verify', '--chunk-size', '0', '--service', 'nope_db', '--pause-ms', '-5'], dbs.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pgcarve verify: 3 problems:');
    expect(result.stderr).toContain('--service must be one of user_db, document_db, freezone_db, ai_research_db, scraper_db, got "nope_db"');
    expect(result.stderr).toContain('--chunk-size must be a whole number from 1 to 100000, got "0"');
    expect(result.stderr).toContain('--pause-ms must be a whole number from 0 to 60000, got "-5"');
  });

  it('an unknown option or a missing value is said in pgcarve\'s words', async () => {
    expect((await runCli(['status', '--jsn'], dbs.env)).stderr).toBe('pgcarve status: unknown option --jsn: `pgcarve status --help` lists its options\n');
    expect((await runCli(['wait-sync', '--timeout'], dbs.env)).stderr).toBe('pgcarve wait-sync: --timeout needs a value: `pgcarve wait-sync --help` lists its options\n');
  });

  it('status and wait-sync name the key, host and database they cannot reach', async () => {
    const env = { ...dbs.env, DATABASE_URL_LEGACY: 'postgres://app:pw-legacy-9@127.0.0.1:1/monolith', DATABASE_URL_USER_SERVICE: 'postgres://app:pw-user-9@127.0.0.1:1/user_db' };
    const status = await runCli(['status'], env);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('legacy database: cannot connect to the legacy database (DATABASE_URL_LEGACY) at 127.0.0.1:1, database monolith, user app: nothing answers there (ECONNREFUSED)');
    expect(status.stdout).toContain('database: cannot connect to user_db (DATABASE_URL_USER_SERVICE) at 127.0.0.1:1, database user_db, user app: nothing answers there');
    const sync = await runCli(['wait-sync', '--timeout', '1'], env);
    expect(sync.code).toBe(3);
    expect(sync.stderr).toContain('cannot connect to the legacy database (DATABASE_URL_LEGACY) at 127.0.0.1:1, database monolith, user app');
    for (const result of [status, sync]) expect(secretsIn(result, env, ['pw-legacy-9', 'pw-user-9'])).toEqual([]);
  });

  it('run --help lists every configuration key and the exit codes', async () => {
    const result = await runCli(['run', '--help'], {});
    for (const key of CONFIG_KEYS) expect(result.stdout, key).toContain(`  ${key} `);
    expect(result.stdout).toMatch(/Exit codes: 0 .*2 bad configuration or arguments, 3 an operator-facing\nfailure/s);
  });
});

describe('pgcarve status, for a person', () => {
  const base = { slot: 'pgcarve', publication: 'pgcarve', excludedTables: [] };
  const backfill = (rows: readonly [string, string, number, number | null][]): TargetState => ({
    checkpoint: ZERO_LSN,
    lastCommitTime: null,
    sealLsn: null,
    cutOverAt: null,
    direction: 'forward',
    backfill: rows.map(([table, state, rowsCopied, rowsEstimated]) => ({ table, state, rowsCopied, rowsEstimated, updatedAt: '2026-01-01T00:00:00.000Z' })),
  });

  it('says why it did not ask the sidecar when PGCARVE_HTTP_PORT is 0', () => {
    const text = renderStatus(buildStatus({ ...base, targets: new Map() }), 0);
    expect(text).toContain('sidecar: not asked (PGCARVE_HTTP_PORT is 0');
    expect(text).not.toContain('127.0.0.1:0');
  });

  it('shows each backfill state by name and no "0 of ~0" estimate', () => {
    const targets = new Map<ServiceName, TargetState>([['user_db', backfill([['users', 'copied', 10, 10], ['roles', 'pending', 0, 0], ['user_profiles', 'copying', 5, null]])]]);
    const text = renderStatus(buildStatus({ ...base, targets }), 9187);
    expect(text).toContain('1/3 copied, 1 pending, 1 copying');
    expect(text).not.toContain('busy');
    expect(text).toContain('backfill roles: pending, 0 rows copied so far (no estimate)');
    expect(text).toContain('backfill user_profiles: copying, 5 rows copied so far (no estimate)');
    expect(text).not.toContain('of ~0');
  });
});
