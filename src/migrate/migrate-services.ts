import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { SERVICE_SCHEMAS, migrationsFolder } from '../../mappings/services.js';
import type { ServiceName } from '../router/service.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { redactUrl } from '../config/redact.js';
import { ensureStateTables } from '../targets/state-tables.js';

/** Where pgcarve keeps its own state in every target database (checkpoints, backfill, migrations). */
export const STATE_SCHEMA = 'pgcarve';
const MIGRATIONS_TABLE = '__drizzle_migrations';
/** Serialises concurrent `pgcarve migrate` runs on one database (any fixed 64-bit number). */
const MIGRATE_LOCK_KEY = 7_248_913_001;

export interface ServiceMigrationReport {
  readonly service: ServiceName;
  readonly database: string;
  readonly databaseCreated: boolean;
  readonly migrationsApplied: number;
  readonly migrationsTotal: number;
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
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const client = new pg.Client({ connectionString: maintenanceUrl(url), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw classify(error, `cannot connect to the maintenance database of ${redactUrl(url)} to create ${name}; check the host, port and credentials`);
  }
  try {
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
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Brings one service database to the latest migration: creates it if missing, then applies the
 * drizzle-kit migrations under a session advisory lock, so two concurrent runs apply each
 * migration once. Idempotent.
 */
export async function migrateService(service: ServiceName, url: string): Promise<ServiceMigrationReport> {
  const entry = SERVICE_SCHEMAS.find((s) => s.service === service);
  if (!entry) throw new PgcarveError('internal', `no schema for service ${service}`);
  const folder = migrationsFolder(entry.folder);
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const databaseCreated = await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw classify(error, `cannot connect to ${service} at ${redactUrl(url)}`);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
    const before = await appliedCount(client);
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
    const after = await appliedCount(client);
    return {
      service,
      database: databaseName(url),
      databaseCreated,
      migrationsApplied: after - before,
      migrationsTotal: migrations.length,
      atLatest: after === migrations.length,
    };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function appliedCount(client: pg.Client): Promise<number> {
  const result = await client.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = $1 AND tablename = $2`,
    [STATE_SCHEMA, MIGRATIONS_TABLE],
  );
  if (result.rows[0]?.n === '0') return 0;
  const applied = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${STATE_SCHEMA}.${MIGRATIONS_TABLE}`);
  return Number(applied.rows[0]?.n ?? 0);
}

/** Migrates every service; services fail independently and all are reported. */
export async function migrateAll(urls: Readonly<Record<ServiceName, string>>): Promise<readonly (ServiceMigrationReport | { readonly service: ServiceName; readonly error: PgcarveError })[]> {
  return await Promise.all(
    SERVICE_SCHEMAS.map(async ({ service }) => {
      try {
        return await migrateService(service, urls[service]);
      } catch (error) {
        return { service, error: classify(error, `migrating ${service}`) };
      }
    }),
  );
}
