import type pg from 'pg';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { SERVICE_DEFINITIONS } from '../../mappings/index.js';
import { migrationsFolder, type ServiceName } from '../../mappings/services.js';

/** Where pgcarve keeps its own state in every target database (checkpoints, backfill, migrations). */
export const STATE_SCHEMA = 'pgcarve';
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** How a service database compares with its drizzle schema and migrations. */
export interface SchemaCheck {
  readonly service: ServiceName;
  readonly migrationsApplied: number;
  readonly migrationsTotal: number;
  /** Tables of the drizzle schema absent from schema public, as `public.name`. */
  readonly missingTables: readonly string[];
  /** Columns of the drizzle schema absent from a table that exists, as `public.table.column`. */
  readonly missingColumns: readonly string[];
  /** Tables that exist without a primary key (pgcarve applies by key). */
  readonly missingPrimaryKeys: readonly string[];
}

export function schemaOf(service: ServiceName): { readonly tables: readonly PgTable[]; readonly migrationsTotal: number } {
  return { tables: SERVICE_DEFINITIONS[service].tables, migrationsTotal: readMigrationFiles({ migrationsFolder: migrationsFolder(service) }).length };
}

/** The number of migrations recorded in the database (0 before the first `pgcarve migrate`). */
export async function appliedMigrations(client: pg.ClientBase): Promise<number> {
  const table = await client.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${STATE_SCHEMA}.${MIGRATIONS_TABLE}`]);
  if (!table.rows[0]?.present) return 0;
  const applied = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${STATE_SCHEMA}.${MIGRATIONS_TABLE}`);
  return Number(applied.rows[0]?.n ?? 0);
}

/**
 * Compares a service database with what its migrations create: the number of migrations recorded,
 * and every table and column of the drizzle schema in schema public (information_schema), each
 * table with a primary key. Read-only.
 */
export async function checkSchema(client: pg.ClientBase, service: ServiceName): Promise<SchemaCheck> {
  const { tables, migrationsTotal } = schemaOf(service);
  const migrationsApplied = await appliedMigrations(client);
  const columns = await client.query<{ table_name: string; column_name: string }>(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`);
  const keys = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.table_constraints WHERE table_schema = 'public' AND constraint_type = 'PRIMARY KEY'`);
  const present = new Map<string, Set<string>>();
  for (const row of columns.rows) {
    const set = present.get(row.table_name) ?? new Set<string>();
    set.add(row.column_name);
    present.set(row.table_name, set);
  }
  const keyed = new Set(keys.rows.map((r) => r.table_name));
  const missingTables: string[] = [];
  const missingColumns: string[] = [];
  const missingPrimaryKeys: string[] = [];
  for (const table of tables) {
    const config = getTableConfig(table);
    const have = present.get(config.name);
    if (!have) {
      missingTables.push(`public.${config.name}`);
      continue;
    }
    for (const column of config.columns) if (!have.has(column.name)) missingColumns.push(`public.${config.name}.${column.name}`);
    if (!keyed.has(config.name)) missingPrimaryKeys.push(`public.${config.name}`);
  }
  return { service, migrationsApplied, migrationsTotal, missingTables, missingColumns, missingPrimaryKeys };
}

/**
 * The migrations journal (in schema pgcarve) is gone while every table and column is there: the
 * pgcarve schema was dropped, not the service's tables. Not a schema problem: `pgcarve migrate`
 * records the migrations again without running them (baselineJournal), and `run` copies what the
 * lost checkpoint leaves owed.
 */
export function journalLost(check: SchemaCheck): boolean {
  return check.migrationsApplied === 0 && check.missingTables.length === 0 && check.missingColumns.length === 0 && check.missingPrimaryKeys.length === 0;
}

/** What is wrong, one phrase each; empty when the database matches. */
export function schemaProblems(check: SchemaCheck): readonly string[] {
  const problems: string[] = [];
  if (check.migrationsApplied < check.migrationsTotal && !journalLost(check)) problems.push(`${check.migrationsApplied} of ${check.migrationsTotal} migrations applied`);
  if (check.migrationsApplied > check.migrationsTotal) problems.push(`${check.migrationsApplied} migrations recorded but this pgcarve knows only ${check.migrationsTotal} (a newer pgcarve migrated it?)`);
  if (check.missingTables.length > 0) problems.push(`missing table${check.missingTables.length > 1 ? 's' : ''} ${check.missingTables.join(', ')}`);
  if (check.missingColumns.length > 0) problems.push(`missing column${check.missingColumns.length > 1 ? 's' : ''} ${check.missingColumns.join(', ')}`);
  if (check.missingPrimaryKeys.length > 0) problems.push(`no primary key on ${check.missingPrimaryKeys.join(', ')}`);
  return problems;
}
