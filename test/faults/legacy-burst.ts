import pg from 'pg';
import { SUITE_APPLICATION } from './suite-connection.js';

/**
 * Bulk writes to the legacy database that land in one target table, in many small transactions
 * (so that a blocked writer's queue fills with whole committed transactions). Both tables are
 * insert-only under the live workload, so the target's audit can tell a double application.
 */
export type BurstTable = 'scraper_results' | 'ai_training_data';

const INSERTS: Readonly<Record<BurstTable, string>> = {
  // A task that exists, key-share locked so that the workload cannot delete it under the insert.
  scraper_results: `INSERT INTO public.scraper_results (task_id, http_status, content, extracted, scraped_at)
    SELECT t.id, 200, 'burst ' || g, '{"burst": true}', clock_timestamp()::timestamp
      FROM (SELECT id FROM public.scraper_tasks ORDER BY id DESC LIMIT 1 FOR KEY SHARE) t, generate_series(1, $1::int) g`,
  ai_training_data: `INSERT INTO public.ai_training_data (source, input, output, tags, created_at)
    SELECT 'burst', 'Q: ' || g || '?', 'A: burst', 'burst, ,x', clock_timestamp()::timestamp FROM generate_series(1, $1::int) g`,
};

/** Commits `transactions` transactions of `rows` rows each into `table`; returns the rows written. */
export async function commitBurst(legacyUrl: string, table: BurstTable, transactions: number, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: legacyUrl, application_name: SUITE_APPLICATION, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  let written = 0;
  try {
    for (let i = 0; i < transactions; i += 1) written += (await client.query(INSERTS[table], [rows])).rowCount ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
  return written;
}
