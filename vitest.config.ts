import { defineConfig } from 'vitest/config';

/**
 * The representative subset run a second and third time with the legacy server on the oldest and
 * the newest supported PostgreSQL major (the targets stay on the shared PostgreSQL 17): decoding
 * and applying every kind of change, the backfill under live writes, the failure policy (a constraint
 * violation, DDL, dropped connections), and the cutover runbook. README "Supported PostgreSQL versions".
 */
const LEGACY_MAJOR_SUBSET = [
  'test/streaming/smoke.test.ts',
  'test/streaming/changes.test.ts',
  'test/streaming/failures.test.ts',
  'test/backfill/initial-copy.test.ts',
  'test/observability/cutover.test.ts',
  'test/reverse/no-loop.test.ts',
  'test/platform/legacy-major.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['./test/harness/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/harness/closing-line-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'pg17', include: ['src/**/*.test.ts', 'mappings/**/*.test.ts', 'tools/**/*.test.ts', 'test/**/*.test.ts'] } },
      ...[14, 18].map((major) => ({
        extends: true as const,
        test: { name: `legacy-pg${major}`, include: LEGACY_MAJOR_SUBSET, env: { PGCARVE_TEST_LEGACY_MAJOR: String(major) } },
      })),
    ],
  },
});
