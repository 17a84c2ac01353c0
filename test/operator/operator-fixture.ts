import { runCli, type CliResult } from '../harness/run-cli.js';
import type { TestDatabases } from '../harness/databases.js';
import { query } from '../streaming/sidecar-fixture.js';

export { runCli, type CliResult };

/** What `pgcarve run` left on the legacy side: its slot and its publication, if any. */
export async function legacyFootprint(dbs: TestDatabases): Promise<{ readonly slot: boolean; readonly publication: boolean }> {
  const slots = await query(dbs.legacyUrl, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [dbs.slot]);
  const publications = await query(dbs.legacyUrl, 'SELECT 1 FROM pg_publication WHERE pubname = $1', [dbs.publication]);
  return { slot: slots.length > 0, publication: publications.length > 0 };
}

/** Every password in the test environment's URLs (none may appear in any output). */
export function passwords(env: Readonly<Record<string, string>>): readonly string[] {
  const found = new Set<string>();
  for (const value of Object.values(env)) {
    try {
      const password = decodeURIComponent(new URL(value).password);
      if (password) found.add(password);
    } catch {
      // not a URL
    }
  }
  return [...found];
}

/** The output of a command carries no password of `env` (nor any other listed secret). */
export function secretsIn(result: CliResult, env: Readonly<Record<string, string>>, more: readonly string[] = []): readonly string[] {
  const text = `${result.stdout}\n${result.stderr}`;
  return [...passwords(env), ...more].filter((secret) => text.includes(secret));
}
