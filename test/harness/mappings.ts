import { INVERSE_MAPPINGS, LEGACY_RULES } from '../../mappings/index.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import type { Mappings } from '../../src/runtime.js';

/** The product's mappings, loaded once for the tests as the CLI's main loads them. */
export const MAPPINGS: Mappings = { routing: new RoutingTable(LEGACY_RULES), inverses: INVERSE_MAPPINGS };
