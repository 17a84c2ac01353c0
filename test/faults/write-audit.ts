import type { ServiceName } from '../../mappings/services.js';
import { sql } from './suite-connection.js';

/**
 * A trigger on target tables that records every row write (in the same target transaction as the
 * write) in fault_audit.writes. On tables the workload only inserts into and deletes from, a row
 * written twice shows as a second INSERT (re-inserted after a delete) or as an UPDATE (an insert
 * replayed as an upsert), and a lost one is missing from the target (the oracle sees that).
 */
export const AUDITED: readonly { readonly service: ServiceName; readonly table: string }[] = [
  { service: 'scraper_db', table: 'scraper_results' },
  { service: 'ai_research_db', table: 'ai_training_data' },
  { service: 'ai_research_db', table: 'messages' },
];

export async function installAudit(serviceUrls: Readonly<Record<ServiceName, string>>): Promise<void> {
  for (const service of new Set(AUDITED.map((a) => a.service))) {
    const tables = AUDITED.filter((a) => a.service === service).map((a) => a.table);
    await sql(
      serviceUrls[service],
      `CREATE SCHEMA fault_audit;
       CREATE TABLE fault_audit.writes (tbl text NOT NULL, id text NOT NULL, op text NOT NULL);
       CREATE FUNCTION fault_audit.record() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           INSERT INTO fault_audit.writes VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END::text, TG_OP);
           RETURN NULL;
         END $$;
       ${tables.map((t) => `CREATE TRIGGER fault_audit AFTER INSERT OR UPDATE OR DELETE ON public.${t} FOR EACH ROW EXECUTE FUNCTION fault_audit.record();`).join('\n')}`,
    );
  }
}

export interface AuditFinding {
  readonly service: ServiceName;
  readonly table: string;
  /** Rows the trigger saw written. */
  readonly rowsWritten: number;
  /** Ids inserted more than once, updated at all, or deleted more than once (all should be 0). */
  readonly insertedTwice: number;
  readonly updated: number;
  readonly deletedTwice: number;
  /** A few offending ids with their write counts, for the failure message. */
  readonly examples: readonly string[];
}

/** Per audited table: how many ids break "each row written exactly once". */
export async function auditFindings(serviceUrls: Readonly<Record<ServiceName, string>>): Promise<readonly AuditFinding[]> {
  const findings: AuditFinding[] = [];
  for (const { service, table } of AUDITED) {
    const [row] = await sql<{ ids: number; inserted_twice: number; updated: number; deleted_twice: number; examples: string[] | null }>(
      serviceUrls[service],
      `WITH per_id AS (
         SELECT id, count(*) FILTER (WHERE op = 'INSERT') AS i, count(*) FILTER (WHERE op = 'UPDATE') AS u, count(*) FILTER (WHERE op = 'DELETE') AS d
           FROM fault_audit.writes WHERE tbl = $1 GROUP BY id)
       SELECT count(*)::int AS ids, count(*) FILTER (WHERE i > 1)::int AS inserted_twice, count(*) FILTER (WHERE u > 0)::int AS updated,
              count(*) FILTER (WHERE d > 1)::int AS deleted_twice,
              (array_agg(format('id %s: %s inserts, %s updates, %s deletes', id, i, u, d)) FILTER (WHERE i > 1 OR u > 0 OR d > 1))[1:5] AS examples
         FROM per_id`,
      [table],
    );
    findings.push({
      service,
      table,
      rowsWritten: row?.ids ?? 0,
      insertedTwice: row?.inserted_twice ?? 0,
      updated: row?.updated ?? 0,
      deletedTwice: row?.deleted_twice ?? 0,
      examples: row?.examples ?? [],
    });
  }
  return findings;
}
