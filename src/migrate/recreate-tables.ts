import type pg from 'pg';
import { readMigrationFiles } from 'drizzle-orm/migrator';

/** The table a migration statement creates or alters, or undefined when it is of another shape. */
function statementTable(statement: string): string | undefined {
  const match = /^(?:CREATE TABLE(?: IF NOT EXISTS)?|ALTER TABLE(?: ONLY)?|CREATE (?:UNIQUE )?INDEX(?: CONCURRENTLY)?(?: IF NOT EXISTS)? "[^"]+" ON(?: ONLY)?)\s+(?:"public"\.)?"([^"]+)"/i.exec(statement);
  return match?.[1];
}

/** The statements of the migrations, in order, without comment lines. */
function migrationStatements(folder: string): readonly string[] {
  const statements: string[] = [];
  for (const migration of readMigrationFiles({ migrationsFolder: folder })) {
    for (const sql of migration.sql) {
      const text = sql
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim();
      if (text) statements.push(text);
    }
  }
  return statements;
}

/**
 * Re-applies, in one transaction, the statements of the migrations that create or alter the
 * `missing` tables (dropped after their migration ran), in migration order, so they come back as
 * the migrations made them (empty: their rows come back with `pgcarve backfill`). Returns false,
 * changing nothing, when a statement about one of them has a shape it does not recognise.
 */
export async function recreateTables(client: pg.ClientBase, folder: string, missing: readonly string[]): Promise<boolean> {
  const wanted = new Set(missing);
  const statements = migrationStatements(folder).filter((s) => {
    const table = statementTable(s);
    return table !== undefined && wanted.has(table);
  });
  const created = new Set(statements.map((s) => (/^CREATE TABLE/i.test(s) ? statementTable(s) : undefined)));
  if (missing.some((t) => !created.has(t))) return false;
  // A statement naming a missing table in another way (a foreign key, a view) makes the replay unsafe.
  const mentions = migrationStatements(folder).filter((s) => !statements.includes(s) && missing.some((t) => s.includes(`"${t}"`)));
  if (mentions.length > 0) return false;
  await client.query('BEGIN');
  try {
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
