import { PgcarveError } from '../errors/pgcarve-error.js';
import type { RelationEvent } from '../source/pgoutput-events.js';
import type { RoutedTable } from './routing-table.js';

/**
 * Why the changes of a mapped legacy table, as this relation message describes it, cannot be
 * applied by key, or undefined. pgoutput flags the replica identity's columns as key: when they
 * do not hold the mapping's source key (REPLICA IDENTITY USING INDEX on other columns, NOTHING, a
 * primary key without the mapping's key) and the identity is not FULL, updates and deletes arrive
 * with that key as NULL, and a delete by NULL would silently delete nothing.
 */
export function relationProblem(event: RelationEvent, routed: RoutedTable): PgcarveError | undefined {
  if (event.replicaIdentity === 'full') return undefined;
  const key = routed.mapping.sourceKey;
  if (key.every((column) => event.keyColumns.includes(column))) return undefined;
  const table = `${event.schema}.${event.name}`;
  const identity = event.keyColumns.length > 0 ? `REPLICA IDENTITY ${event.replicaIdentity.toUpperCase()} on (${event.keyColumns.join(', ')})` : `REPLICA IDENTITY ${event.replicaIdentity.toUpperCase()} without key columns`;
  return new PgcarveError(
    'no_replica_identity',
    `legacy table ${table} now has ${identity}, which lacks its mapping's key (${key.join(', ')}): its updates and deletes arrive without that key, so none of its changes are applied from here on. Run ALTER TABLE ${table} REPLICA IDENTITY DEFAULT (with its primary key on (${key.join(', ')})) or ALTER TABLE ${table} REPLICA IDENTITY FULL; the changes written meanwhile were logged without that key (docs/runbooks/PgcarveWriterStopped.md)`,
  );
}
