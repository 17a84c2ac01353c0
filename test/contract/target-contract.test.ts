import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_TABLES } from '../../mappings/legacy/schema.js';
import { SERVICES } from '../../mappings/services.js';
import { createTestDatabases, withClient, type TestDatabases } from '../harness/databases.js';
import { type ContractColumn, type ContractTable, TARGET_CONTRACT } from './target-contract.js';

/**
 * Compares what information_schema reports for the five migrated service databases (migrated by
 * `migrateService`, as `pgcarve migrate` does) with the contract written from monolith.md, and
 * the legacy database with LEGACY_TABLES.
 */

let databases: TestDatabases;

beforeAll(async () => {
  databases = await createTestDatabases();
});

afterAll(async () => {
  await databases?.drop();
});


interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  numeric_precision: number | null;
  numeric_scale: number | null;
  column_default: string | null;
}

interface ConstraintRow {
  table_name: string;
  constraint_type: 'PRIMARY KEY' | 'UNIQUE' | 'FOREIGN KEY';
  is_deferrable: 'YES' | 'NO';
  initially_deferred: 'YES' | 'NO';
  columns: string[];
}

/** The schema public of a database, in the contract's shape (tables in name order). */
async function describeSchema(client: pg.Client): Promise<Record<string, ContractTable>> {
  const columns = await client.query<ColumnRow>(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable, numeric_precision, numeric_scale, column_default
       FROM information_schema.columns
      WHERE table_schema = 'public'
      ORDER BY table_name, ordinal_position`,
  );
  const constraints = await client.query<ConstraintRow>(
    `SELECT tc.table_name, tc.constraint_type, tc.is_deferrable, tc.initially_deferred,
            array_agg(k.column_name::text ORDER BY k.ordinal_position) AS columns
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
      WHERE tc.table_schema = 'public' AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
      GROUP BY tc.table_name, tc.constraint_name, tc.constraint_type, tc.is_deferrable, tc.initially_deferred
      ORDER BY tc.table_name, columns`,
  );
  const tables: Record<string, { columns: Record<string, ContractColumn>; primaryKey: string[]; uniques: string[][] }> = {};
  for (const row of columns.rows) {
    const table = (tables[row.table_name] ??= { columns: {}, primaryKey: [], uniques: [] });
    table.columns[row.column_name] = {
      data_type: row.data_type,
      udt_name: row.udt_name,
      is_nullable: row.is_nullable,
      ...(row.data_type === 'numeric' ? { numeric_precision: row.numeric_precision ?? -1, numeric_scale: row.numeric_scale ?? -1 } : {}),
      ...(row.column_default?.startsWith('nextval(') ? { sequence: true as const } : {}),
    };
  }
  for (const row of constraints.rows) {
    const table = tables[row.table_name];
    if (!table) throw new Error(`constraint on unknown table ${row.table_name}`);
    if (row.constraint_type === 'FOREIGN KEY') throw new Error(`${row.table_name} has a foreign key`);
    if (row.constraint_type === 'PRIMARY KEY') table.primaryKey = row.columns;
    else {
      expect({ table: row.table_name, deferrable: row.is_deferrable, deferred: row.initially_deferred }).toEqual({
        table: row.table_name,
        deferrable: 'YES',
        deferred: 'YES',
      });
      table.uniques.push(row.columns);
    }
  }
  return tables;
}

function byName(contract: Readonly<Record<string, ContractTable>>): Record<string, ContractTable> {
  return Object.fromEntries(Object.entries(contract).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('target schemas after migration', () => {
  for (const service of SERVICES) {
    it(`${service} matches monolith.md`, async () => {
      const actual = await withClient(databases.serviceUrls[service], describeSchema);
      const expected = TARGET_CONTRACT[service];
      expect(actual).toEqual(byName(expected));
      for (const [table, spec] of Object.entries(expected)) {
        expect({ table, columns: Object.keys(actual[table]?.columns ?? {}) }).toEqual({ table, columns: Object.keys(spec.columns) });
      }
    });
  }
});

describe('legacy schema', () => {
  it('has exactly the LEGACY_TABLES in schema public', async () => {
    const tables = await withClient(databases.legacyUrl, (client) =>
      client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`),
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([...LEGACY_TABLES].sort());
  });
});
