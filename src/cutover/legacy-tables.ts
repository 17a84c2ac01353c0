import type { RoutingTable } from '../router/routing-table.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';

/** The legacy tables whose mappings write `service`, sorted: what cutover freezes and seals. */
export function legacyTablesOf(routing: RoutingTable, service: ServiceName): readonly string[] {
  return [...routing.bySource.values()].filter((r) => r.services.includes(service)).map((r) => r.mapping.source).sort();
}

/** `legacyTablesOf` for every service. */
export function legacyTablesByService(routing: RoutingTable): ReadonlyMap<ServiceName, readonly string[]> {
  return new Map(SERVICES.map((service) => [service, legacyTablesOf(routing, service)]));
}
