import pg from 'pg';

/**
 * The application_name of every connection the fault suites open themselves, so that a fault
 * that terminates "every connection of pgcarve" in a database can leave the suite's own alone.
 */
export const SUITE_APPLICATION = 'pgcarve-fault-suite';

/** One statement (or several, without values) on a fresh connection of the suite's own, in UTC. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: readonly unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, application_name: SUITE_APPLICATION, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query("SET TIME ZONE 'UTC'");
    return (await client.query<T>(text, [...values])).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The database name of a postgres:// URL. */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}
