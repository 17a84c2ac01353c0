import type { TestProject } from 'vitest/node';
import { EmbeddedCluster, embeddedBinDir, reapOrphanClusters } from '../../tools/embedded/embedded-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared test cluster's maintenance database (postgres). */
    readonly pgAdminUrl: string;
    /**
     * URL of the maintenance database of the cluster that holds the legacy databases, when it is
     * another server (PGCARVE_TEST_LEGACY_MAJOR); '' when the legacy databases share pgAdminUrl's.
     */
    readonly pgLegacyAdminUrl: string;
  }
}

/** The major of the legacy server for this project (vitest.config.ts's legacy-pg* projects), if not the shared one's. */
export function legacyMajor(project: TestProject): number | undefined {
  const value = project.config.env?.PGCARVE_TEST_LEGACY_MAJOR ?? process.env.PGCARVE_TEST_LEGACY_MAJOR;
  if (value === undefined || value === '') return undefined;
  const major = Number(value);
  if (!Number.isInteger(major)) throw new Error(`PGCARVE_TEST_LEGACY_MAJOR must be a PostgreSQL major such as 14, got ${JSON.stringify(value)}`);
  return major;
}

/**
 * Starts one PostgreSQL 17 (wal_level=logical, random port, temporary directory) for the whole run.
 * Test files get their own databases on it through `test/harness/databases.ts`; tests that crash
 * or restart a server start their own cluster with `startCluster()`. With
 * PGCARVE_TEST_LEGACY_MAJOR (set per project in vitest.config.ts) a second server of that major
 * holds the legacy databases, so the source runs one major and the targets another.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  reapOrphanClusters();
  const major = legacyMajor(project);
  const cluster = await EmbeddedCluster.create({ name: 'shared' });
  const legacy = major === undefined ? undefined : await EmbeddedCluster.create({ name: `legacy-pg${major}`, binDir: await embeddedBinDir(major) });
  project.provide('pgAdminUrl', cluster.url('postgres'));
  project.provide('pgLegacyAdminUrl', legacy?.url('postgres') ?? '');
  return async () => {
    await legacy?.destroy();
    await cluster.destroy();
  };
}
