import { join } from 'node:path';
import type { PgTable } from 'drizzle-orm/pg-core';
import { packageRoot } from '../src/package-root.js';
import type { ServiceName } from '../src/router/service.js';
import * as aiResearch from './ai-research/schema.js';
import * as document from './document/schema.js';
import * as freezone from './freezone/schema.js';
import * as scraper from './scraper/schema.js';
import * as user from './user/schema.js';

/** A service database: its drizzle schema, its migrations folder and where its URL comes from. */
export interface ServiceSchema {
  readonly service: ServiceName;
  /** The folder under mappings/ holding schema.ts, drizzle.config.ts and migrations/. */
  readonly folder: string;
  /** The environment variable holding the service database's connection string. */
  readonly envVar: string;
  /** The schema module; `schema.tables` lists its tables. */
  readonly schema: { readonly tables: readonly PgTable[] };
}

/** The five service databases, in the order of SERVICES. */
export const SERVICE_SCHEMAS = [
  { service: 'user_db', folder: 'user', envVar: 'DATABASE_URL_USER_SERVICE', schema: user },
  { service: 'document_db', folder: 'document', envVar: 'DATABASE_URL_DOCUMENT_SERVICE', schema: document },
  { service: 'freezone_db', folder: 'freezone', envVar: 'DATABASE_URL_FREEZONE_SERVICE', schema: freezone },
  { service: 'ai_research_db', folder: 'ai-research', envVar: 'DATABASE_URL_AI_RESEARCH_SERVICE', schema: aiResearch },
  { service: 'scraper_db', folder: 'scraper', envVar: 'DATABASE_URL_SCRAPER_SERVICE', schema: scraper },
] as const satisfies readonly ServiceSchema[];

/** The drizzle-kit migrations folder of a service (`folder` as in SERVICE_SCHEMAS). */
export function migrationsFolder(folder: string): string {
  return join(packageRoot(), 'mappings', folder, 'migrations');
}
