import type pg from 'pg';

/**
 * Which way a service's rows flow, from `pgcarve.cutover` in its database (the seal):
 * - `forward`: no cutover row; the legacy database is the source of truth and pgcarve copies it;
 * - `cut-over`: a cutover row without `rolled_back_at`; the service database is the source of
 *   truth, the forward path is sealed and the reverse stream carries its writes back to legacy;
 * - `rolled-back`: `pgcarve rollback` lifted the seal (set `rolled_back_at`); forward again.
 */
export type ServiceDirection =
  | { readonly kind: 'forward' }
  | { readonly kind: 'cut-over'; readonly cutOverAt: string }
  | { readonly kind: 'rolled-back'; readonly cutOverAt: string; readonly rolledBackAt: string };

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;

export async function readDirection(client: pg.ClientBase, slot: string): Promise<ServiceDirection> {
  const exists = await client.query<{ found: boolean }>("SELECT to_regclass('pgcarve.cutover') IS NOT NULL AS found");
  if (!exists.rows[0]?.found) return { kind: 'forward' };
  // to_jsonb: rolled_back_at is read whether or not this database's table has the column yet.
  const result = await client.query<{ cut: string; back: string | null }>(
    `SELECT to_char(cut_over_at AT TIME ZONE 'UTC', ${ISO}) AS cut,
            to_char((to_jsonb(c) ->> 'rolled_back_at')::timestamptz AT TIME ZONE 'UTC', ${ISO}) AS back
       FROM pgcarve.cutover c WHERE slot = $1`,
    [slot],
  );
  const row = result.rows[0];
  if (!row) return { kind: 'forward' };
  return row.back === null ? { kind: 'cut-over', cutOverAt: row.cut } : { kind: 'rolled-back', cutOverAt: row.cut, rolledBackAt: row.back };
}

/** As `pgcarve status` shows it. */
export function describeDirection(direction: ServiceDirection): 'forward' | 'cut over: reverse' | 'rolled back' {
  return direction.kind === 'forward' ? 'forward' : direction.kind === 'cut-over' ? 'cut over: reverse' : 'rolled back';
}
