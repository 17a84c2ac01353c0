import { SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { checkSchema, schemaProblems } from '../migrate/schema-check.js';
import { withClient } from '../pg/with-client.js';

const MIGRATE = 'run `pgcarve migrate` (it creates the service databases and their tables), then start pgcarve again';

/** One service database: reachable, and migrated to what this pgcarve's migrations create. */
async function checkTarget(service: ServiceName, url: string): Promise<void> {
  const key = SERVICE_URL_KEYS[service];
  const doing = `checking the schema of ${service} (${key})`;
  await withClient(url, { doing, target: { key, label: service, missingDatabase: MIGRATE }, application: 'pgcarve-preflight' }, async (client) => {
    const problems = schemaProblems(await checkSchema(client, service));
    if (problems.length > 0) throw new PgcarveError('schema_mismatch', `${service} (${key}) is not migrated: ${problems.join('; ')}: ${MIGRATE}`);
  }).catch((error: unknown) => {
    throw classify(error, doing);
  });
}

/**
 * Checks every service database before `pgcarve run` touches the legacy database (no publication
 * or slot is created for targets that cannot take the changes): each is reachable and migrated.
 * All problems at once, one line per service; the first one's kind.
 */
export async function checkServiceDatabases(serviceUrls: Readonly<Record<ServiceName, string>>): Promise<void> {
  const results = await Promise.allSettled(SERVICES.map((service) => checkTarget(service, serviceUrls[service])));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [classify(r.reason, 'checking a service database')] : []));
  const first = failures[0];
  if (!first) return;
  if (failures.length === 1) throw first;
  throw new PgcarveError(first.kind, failures.map((f) => f.message).join('\n'), { cause: first });
}
