import { isServiceName, SERVICES, type ServiceName } from '../../mappings/services.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { RepairScope } from './repair.js';

/** The tables and services `--service` / `--table` name, checked against the mappings. */
export function repairScope(routing: RoutingTable, service: string | undefined, table: string | undefined): readonly RepairScope[] {
  if (service === undefined && table === undefined) throw new PgcarveError('bad_input', 'name what to re-copy: --service NAME, --table LEGACY_TABLE, or both');
  if (service !== undefined && !isServiceName(service)) throw new PgcarveError('bad_input', `--service must be one of ${SERVICES.join(', ')}, got ${JSON.stringify(service)}`);
  if (table !== undefined) {
    const routed = routing.bySource.get(table);
    if (!routed) {
      const why = routing.excluded.get(table);
      throw new PgcarveError('bad_input', why ? `legacy table ${table} is not migrated (${why})` : `no mapping reads legacy table ${JSON.stringify(table)}; mapped tables: ${routing.mappedSources().join(', ')}`);
    }
    const services = service === undefined ? routed.services : routed.services.filter((s) => s === service);
    if (services.length === 0) throw new PgcarveError('bad_input', `legacy table ${table} writes to ${routed.services.join(', ')}, not to ${service}`);
    return [{ table, services }];
  }
  const name = service as ServiceName;
  return [...routing.bySource].filter(([, routed]) => routed.services.includes(name)).map(([source]) => ({ table: source, services: [name] }));
}
