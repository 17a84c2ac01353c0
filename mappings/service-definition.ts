import type { PgTable } from 'drizzle-orm/pg-core';
import type { InverseMapping } from './inverse-mapping.js';
import type { TableMapping } from './table-mapping.js';

/**
 * What one service folder under mappings/ contributes (its index.ts): the drizzle tables of its
 * database, the mapping of every legacy table it takes rows from, and the inverse mapping of every
 * table it owns (reverse replication after cutover).
 */
export interface ServiceDefinition {
  readonly tables: readonly PgTable[];
  readonly mappings: readonly TableMapping[];
  readonly inverses: readonly InverseMapping[];
}
