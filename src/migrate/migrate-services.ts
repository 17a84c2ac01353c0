import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { migrationsFolder, SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { redactUrl } from '../config/redact.js';
import { ensureStateTables } from '../state/state-tables.js';
import { recreateTables } from './recreate-tables.js';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { appliedMigrations, checkSchema, journalLost, MIGRATIONS_TABLE, schemaOf, schemaProblems, STATE_SCHEMA } from './schema-check.js';
import { connect, withClient } from '../pg/with-client.js';

export { STATE_SCHEMA };
/** Serialises concurrent `pgcarve migrate` runs on one database (any fixed 64-bit number). */
const MIGRATE_LOCK_KEY = 7_248_913_001;

export interface ServiceMigrationReport {
  readonly service: ServiceName;
  readonly database: string;
  readonly databaseCreated: boolean;
  readonly migrationsApplied: number;
  readonly migrationsTotal: number;
  /** What differs from the drizzle schema after migrating (a table or column dropped by hand); empty when it matches. */
  readonly schemaProblems: readonly string[];
  /** Tables dropped after their migration ran, recreated (empty) from the migrations. */
  readonly tablesRecreated: readonly string[];
  /** Every migration applied and the schema matches. */
  readonly atLatest: boolean;
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

function maintenanceUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

/** Creates the database when it does not exist. Safe when several run at once. Returns whether it created it. */
export async function ensureDatabase(url: string, key = 'the service URL'): Promise<boolean> {
  const name = databaseName(url);
  return await withClient(maintenanceUrl(url), { doing: `creating database ${name}`, target: { key, label: `the server of ${name} (through its database "postgres", to create ${name})`, missingDatabase: `migrate connects to "postgres" to create ${name}: create ${name} by hand (CREATE DATABASE ${name}) and run migrate again` } }, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on pg_database's unique index.
      if (code === '42P04' || code === '23505') return false;
      if (code === '42501') {
        throw new PgcarveError('privilege', `the role in ${redactUrl(url)} may not create database ${name}: create it as a superuser (CREATE DATABASE ${name} OWNER <role>) or grant CREATEDB, then run migrate again`, { cause: error });
      }
      throw classify(error, `creating database ${name}`);
    }
  });
}

/**
 * Brings one service database to the latest migration: creates it if missing, then applies the
 * drizzle-kit migrations under a session advisory lock, so two concurrent runs apply each
 * migration once. Idempotent. Then checks that every table and column of the drizzle schema is
 * really there (a table dropped by hand is not hidden behind "already at the latest migration").
 */
export async function migrateService(service: ServiceName, url: string): Promise<ServiceMigrationReport> {
  const folder = migrationsFolder(service);
  const key = SERVICE_URL_KEYS[service];
  const databaseCreated = await ensureDatabase(url, key);
  const client = await connect(url, { doing: `migrating ${service}`, target: { key, label: service } });
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
    if (journalLost(await checkSchema(client, service))) await baselineJournal(client, folder);
    const before = await appliedMigrations(client);
    try {
      await migrate(drizzle(client), { migrationsFolder: folder, migrationsSchema: STATE_SCHEMA, migrationsTable: MIGRATIONS_TABLE });
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
      if (code === '42501') {
        throw new PgcarveError('privilege', `the role in ${redactUrl(url)} may not create objects in ${databaseName(url)}: grant it CREATE on the database (or make it the owner), then run migrate again`, { cause: error });
      }
      throw classify((error as { cause?: unknown }).cause ?? error, `applying migrations to ${service}`);
    }
    await ensureStateTables(client);
    const after = await appliedMigrations(client);
    let check = await checkSchema(client, service);
    let tablesRecreated: readonly string[] = [];
    if (check.missingTables.length > 0 && check.migrationsApplied === check.migrationsTotal) {
      const names = check.missingTables.map((t) => t.replace(/^public\./, ''));
      if (await recreateTables(client, folder, names)) {
        tablesRecreated = check.missingTables;
        check = await checkSchema(client, service);
      }
    }
    const problems = schemaProblems(check);
    return {
      service,
      database: databaseName(url),
      databaseCreated,
      migrationsApplied: after - before,
      migrationsTotal: schemaOf(service).migrationsTotal,
      schemaProblems: problems,
      tablesRecreated,
      atLatest: problems.length === 0,
    };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}


/** Migrates every service; services fail independently and all are reported. */
export async function migrateAll(urls: Readonly<Record<ServiceName, string>>): Promise<readonly (ServiceMigrationReport | { readonly service: ServiceName; readonly error: PgcarveError })[]> {
  return await Promise.all(
    SERVICES.map(async (service) => {
      try {
        return await migrateService(service, urls[service]);
      } catch (error) {
        return { service, error: classify(error, `migrating ${service}`) };
      }
    }),
  );
}

/**
 * Records every migration as applied without running it, in drizzle's journal format (hash and
 * folder time per migration): for a database whose tables are all there but whose journal was
 * dropped with the pgcarve schema (schema-check.ts, journalLost).
 */
async function baselineJournal(client: pg.ClientBase, folder: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.${MIGRATIONS_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    for (const migration of readMigrationFiles({ migrationsFolder: folder })) {
      await client.query(`INSERT INTO ${STATE_SCHEMA}.${MIGRATIONS_TABLE} (hash, created_at) VALUES ($1, $2)`, [migration.hash, migration.folderMillis]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
