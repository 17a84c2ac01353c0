import pg from 'pg';
import { classify } from '../errors/classify.js';

export interface SequenceAdvance {
  readonly table: string;
  readonly column: string;
  readonly sequence: string;
  /** The value the next nextval() returns, as text (bigints stay exact). */
  readonly next: string;
}

/**
 * The cutover step that lets a service insert on its own: every sequence owned by a column of a
 * public table (serial, bigserial, identity) is set so that its next value is past the largest
 * value the column holds. The sidecar copied the legacy ids in, so these sequences never moved.
 * Idempotent; never moves a sequence backwards.
 */
export async function advanceSequences(url: string): Promise<readonly SequenceAdvance[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const owned = await client.query<{ table: string; column: string; sequence: string }>(
      `SELECT t.relname AS table, a.attname AS column, format('%I.%I', sn.nspname, s.relname) AS sequence
         FROM pg_depend d
         JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
         JOIN pg_namespace sn ON sn.oid = s.relnamespace
         JOIN pg_class t ON t.oid = d.refobjid
         JOIN pg_namespace tn ON tn.oid = t.relnamespace AND tn.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        ORDER BY t.relname, a.attname`,
    );
    const advanced: SequenceAdvance[] = [];
    for (const { table, column, sequence } of owned.rows) {
      const result = await client.query<{ next: string }>(
        `WITH top AS (SELECT max(${client.escapeIdentifier(column)})::bigint AS v FROM public.${client.escapeIdentifier(table)}),
              seq AS (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM ${sequence})
         SELECT setval($1::regclass, greatest(coalesce((SELECT v FROM top) + 1, 1), (SELECT next FROM seq)), false)::text AS next`,
        [sequence],
      );
      advanced.push({ table, column, sequence, next: result.rows[0]?.next ?? '?' });
    }
    return advanced;
  } catch (error) {
    throw classify(error, 'advancing the target sequences past the largest keys');
  } finally {
    await client.end().catch(() => undefined);
  }
}
