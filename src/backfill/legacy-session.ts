import pg from 'pg';
import { classify } from '../errors/classify.js';
import { connect } from '../pg/with-client.js';

/**
 * A connection to the legacy database that reads every value as PostgreSQL's text output, exactly
 * as pgoutput sends it: no type parser runs (a timestamp stays "2024-01-02 03:04:05.123456", a
 * bigint keeps every digit, an array stays its literal), and the session uses the output settings
 * the mappings expect (DateStyle ISO, UTC, the default IntervalStyle and float digits), so that a
 * backfilled row is byte-identical to the same row arriving through the stream.
 */
export async function connectLegacyText(url: string, what: string): Promise<pg.Client> {
  const doing = `connecting to the legacy database (${what})`;
  const client = await connect(url, { doing, keepAlive: true, types: { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig });
  try {
    await client.query("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'");
  } catch (error) {
    await client.end().catch(() => undefined);
    throw classify(error, doing);
  }
  return client;
}

/** The columns pgoutput sends for a legacy table (generated columns are not sent), in order. */
export async function legacyColumns(client: pg.ClientBase, table: string): Promise<readonly { readonly name: string; readonly type: string }[]> {
  const result = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [`public.${client.escapeIdentifier(table)}`],
  );
  return result.rows;
}
