import { PgcarveError } from '../errors/pgcarve-error.js';
import type { RelationEvent } from '../source/pgoutput-events.js';
import { relationProblem } from './relation-check.js';
import type { RoutedTable, RoutingTable } from './routing-table.js';

/**
 * What a relation message means for routing:
 * - `routed`: its changes go through `routed`'s mapping;
 * - `stopped`: they would, but cannot be applied (`error`): the services `routed` feeds must stop
 *   at its first change, so that the slot never moves past it;
 * - `unrouted`: no mapping reads it (the publication was changed by hand); reported, not applied.
 */
export type RelationVerdict =
  | { readonly kind: 'routed'; readonly routed: RoutedTable }
  | { readonly kind: 'stopped'; readonly routed: RoutedTable; readonly error: PgcarveError }
  | { readonly kind: 'unrouted'; readonly table: string };

/**
 * The router's memory of relation OIDs across streams (a reconnect sends relation messages again,
 * this memory stays). A mapped table is found by name the first time; afterwards its OID is the
 * table: when the same OID arrives under another name or schema the table was renamed, and its
 * changes must not fall out of the migration as "unmapped".
 */
export class RelationMemory {
  private readonly routedByOid = new Map<number, { readonly table: string; readonly routed: RoutedTable }>();
  private readonly unroutedSeen = new Set<string>();

  constructor(private readonly routing: RoutingTable) {}

  /** Legacy tables whose changes arrived although no mapping reads them, sorted. */
  get unrouted(): readonly string[] {
    return [...this.unroutedSeen].sort();
  }

  resolve(event: RelationEvent): RelationVerdict {
    const table = `${event.schema}.${event.name}`;
    const known = this.routedByOid.get(event.relationId);
    if (known && known.table !== table) {
      const source = known.routed.mapping.source;
      return {
        kind: 'stopped',
        routed: known.routed,
        error: new PgcarveError(
          'table_missing',
          `legacy table ${known.table} was renamed to ${table} while pgcarve streams it (relation ${event.relationId}); its changes are no longer those of the mapping of ${source}. Rename it back (ALTER TABLE ${table} RENAME TO ${escapeName(known.table)}) and restart pgcarve, or change the mapping to the new name and follow the recovery in docs/runbooks/PgcarveWriterStopped.md`,
        ),
      };
    }
    const routed = event.schema === 'public' ? this.routing.bySource.get(event.name) : undefined;
    if (!routed) {
      if (!(event.schema === 'public' && this.routing.excluded.has(event.name))) this.unroutedSeen.add(event.schema === 'public' ? event.name : table);
      return { kind: 'unrouted', table };
    }
    this.routedByOid.set(event.relationId, { table, routed });
    const error = relationProblem(event, routed);
    return error ? { kind: 'stopped', routed, error } : { kind: 'routed', routed };
  }
}

/** The bare table name of "schema.table" for a RENAME TO clause. */
function escapeName(qualified: string): string {
  return qualified.slice(qualified.indexOf('.') + 1);
}
