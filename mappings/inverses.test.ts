import { getTableName } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { TableMapping } from './table-mapping.js';
import { INVERSE_MAPPINGS, LEGACY_RULES } from './index.js';
import { LEGACY_COLUMNS } from './legacy/columns.js';
import { legacySchemaSql } from './legacy/schema.js';

describe('the inverse mappings', () => {
  const owned = LEGACY_RULES.filter((r): r is TableMapping => r.kind === 'mapped').flatMap((m) => m.targets.filter((t) => t.kind === 'owned').map((t) => ({ source: m.source, target: t })));

  it('exist exactly once for every owned service table, for the legacy table its forward mapping reads', () => {
    const names = (list: readonly { service: string; table: Parameters<typeof getTableName>[0] }[]): string[] => list.map((t) => `${t.service}.${getTableName(t.table)}`).sort();
    expect(names(INVERSE_MAPPINGS)).toEqual(names(owned.map((o) => o.target)));
    for (const { source, target } of owned) expect(INVERSE_MAPPINGS.find((i) => i.table === target.table)?.legacy).toBe(source);
  });

  it('name legacy columns that schema.sql creates (LEGACY_COLUMNS is the legacy schema)', async () => {
    const client = new pg.Client(inject('pgAdminUrl'));
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('CREATE SCHEMA inverse_check; SET LOCAL search_path = inverse_check');
      await client.query(legacySchemaSql().replaceAll('public.', 'inverse_check.'));
      const result = await client.query<{ table: string; columns: string[] }>(
        `SELECT table_name AS table, array_agg(column_name::text ORDER BY ordinal_position) AS columns FROM information_schema.columns WHERE table_schema = 'inverse_check' GROUP BY table_name`,
      );
      expect(Object.fromEntries(result.rows.map((r) => [r.table, r.columns]))).toEqual(Object.fromEntries(Object.entries(LEGACY_COLUMNS).map(([t, c]) => [t, [...c]])));
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });
});
