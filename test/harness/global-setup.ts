import type { TestProject } from 'vitest/node';
import { EmbeddedCluster, reapOrphanClusters } from '../../src/embedded/embedded-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared test cluster's maintenance database (postgres). */
    readonly pgAdminUrl: string;
  }
}

/**
 * Starts one PostgreSQL (wal_level=logical, random port, temporary directory) for the whole run.
 * Test files get their own databases on it through `test/harness/databases.ts`; tests that crash
 * or restart a server start their own cluster with `startCluster()`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  reapOrphanClusters();
  const cluster = await EmbeddedCluster.create({ name: 'shared' });
  project.provide('pgAdminUrl', cluster.url('postgres'));
  return async () => {
    await cluster.destroy();
  };
}
