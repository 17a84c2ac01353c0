import type pg from 'pg';
import type { TextValue } from '../values.js';
import type { LegacyWrite } from './legacy-write.js';

/**
 * Runs legacy writes on a connection inside an open transaction. Values are bound as text
 * parameters of unknown type, so PostgreSQL casts them to the column's type: exact, whatever the
 * type (numeric, jsonb, arrays, timestamps). Identifiers are quoted. Returns the rows affected.
 */
export async function applyLegacyWrite(client: pg.ClientBase, write: LegacyWrite): Promise<number> {
  const q = (name: string): string => client.escapeIdentifier(name);
  const table = `public.${q(write.table)}`;
  const params: TextValue[] = [];
  const param = (value: TextValue): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = (values: Readonly<Record<string, TextValue>>): string =>
    Object.entries(values)
      .map(([column, value]) => (value === null ? `${q(column)} IS NULL` : `${q(column)} = ${param(value)}`))
      .join(' AND ');
  let sql: string;
  switch (write.kind) {
    case 'upsert': {
      const columns = Object.keys(write.values);
      const updates = columns.filter((c) => !(c in write.key));
      sql = `INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES (${columns.map((c) => param(write.values[c] ?? null)).join(', ')})
             ON CONFLICT (${Object.keys(write.key).map(q).join(', ')}) ${updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ')}`}`;
      break;
    }
    case 'set': {
      if (Object.keys(write.values).length === 0) return 1;
      const sets = Object.entries(write.values).map(([c, v]) => `${q(c)} = ${param(v)}`);
      sql = `UPDATE ${table} SET ${sets.join(', ')} WHERE ${where(write.key)}`;
      break;
    }
    case 'delete':
      sql = `DELETE FROM ${table} WHERE ${where({ ...write.guard, ...write.key })}`;
      break;
    case 'delete-all':
      sql = `DELETE FROM ${table}${Object.keys(write.guard).length > 0 ? ` WHERE ${where(write.guard)}` : ''}`;
      break;
    case 'set-all':
      sql = `UPDATE ${table} SET ${Object.entries(write.values).map(([c, v]) => `${q(c)} = ${param(v)}`).join(', ')}`;
      break;
  }
  const result = await client.query(sql, params);
  return result.rowCount ?? 0;
}
