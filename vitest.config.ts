import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'mappings/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/harness/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/harness/closing-line-reporter.ts'],
  },
});
