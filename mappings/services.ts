import { join } from 'node:path';
import { packageRoot } from '../src/package-root.js';

/**
 * The one list of service databases: each one's name, its folder under mappings/ (schema.ts,
 * mapping.ts, inverse.ts, drizzle.config.ts, migrations/, index.ts) and the environment variable
 * holding its connection string (named by the migration strategy). Everything that handles "each
 * service" derives from it: SERVICES, the configuration keys and their help, the metrics labels.
 * The list is literal so that the compiler checks every place keyed by ServiceName; its order is
 * the order of reports and metrics. A new service is one row here (README "Adding a service").
 */
export const SERVICE_LIST = [
  { service: 'user_db', folder: 'user', envVar: 'DATABASE_URL_USER_SERVICE' },
  { service: 'document_db', folder: 'document', envVar: 'DATABASE_URL_DOCUMENT_SERVICE' },
  { service: 'freezone_db', folder: 'freezone', envVar: 'DATABASE_URL_FREEZONE_SERVICE' },
  { service: 'ai_research_db', folder: 'ai-research', envVar: 'DATABASE_URL_AI_RESEARCH_SERVICE' },
  { service: 'scraper_db', folder: 'scraper', envVar: 'DATABASE_URL_SCRAPER_SERVICE' },
] as const;

export type ServiceName = (typeof SERVICE_LIST)[number]['service'];

/** The environment variable of a service database's URL. */
export type ServiceUrlKey = (typeof SERVICE_LIST)[number]['envVar'];

/** The service databases pgcarve writes to, in the order of SERVICE_LIST. */
export const SERVICES: readonly ServiceName[] = SERVICE_LIST.map((s) => s.service);

export function isServiceName(value: string): value is ServiceName {
  return (SERVICES as readonly string[]).includes(value);
}

/** The environment variable that holds each service database's URL. */
export const SERVICE_URL_KEYS: Readonly<Record<ServiceName, ServiceUrlKey>> = Object.fromEntries(SERVICE_LIST.map((s) => [s.service, s.envVar])) as Record<ServiceName, ServiceUrlKey>;

/** The drizzle-kit migrations folder of a service. */
export function migrationsFolder(service: ServiceName): string {
  const { folder } = SERVICE_LIST.find((s) => s.service === service) as (typeof SERVICE_LIST)[number];
  return join(packageRoot(), 'mappings', folder, 'migrations');
}
