import type pg from 'pg';
import { SERVICE_URL_KEYS, type ServiceName } from '../../mappings/services.js';
import type { Config } from '../config/config.js';
import { connect, withClient, type Purpose } from './with-client.js';

/** The purpose of a connection to `service`'s database: a failed connect names its key (DATABASE_URL_…) and says to migrate when the database is missing. */
export function servicePurpose(service: ServiceName, purpose: Purpose): Purpose {
  return { target: { key: SERVICE_URL_KEYS[service], label: service, missingDatabase: 'run `pgcarve migrate`' }, ...purpose };
}

/** withClient on `service`'s database (config.serviceUrls). */
export async function withService<T>(config: Pick<Config, 'serviceUrls'>, service: ServiceName, purpose: Purpose, f: (client: pg.Client) => Promise<T>): Promise<T> {
  return await withClient(config.serviceUrls[service], servicePurpose(service, purpose), f);
}

/** connect to `service`'s database (config.serviceUrls), for a client that outlives one call. */
export async function connectService(config: Pick<Config, 'serviceUrls'>, service: ServiceName, purpose: Purpose): Promise<pg.Client> {
  return await connect(config.serviceUrls[service], servicePurpose(service, purpose));
}
