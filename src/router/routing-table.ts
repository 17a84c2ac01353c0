import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { LegacyTableRule, TableMapping, TargetDeclaration } from '../../mappings/table-mapping.js';
import type { SourceKey, TextValue } from '../values.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';

/** A declared target, resolved to its SQL table name and key. */
export interface ResolvedTarget {
  readonly declaration: TargetDeclaration;
  readonly kind: 'owned' | 'reference';
  readonly service: ServiceName;
  readonly table: string;
  readonly key: readonly string[];
  readonly fromSourceKey?: ((key: SourceKey) => { readonly [column: string]: TextValue }) | undefined;
}

export interface RoutedTable {
  readonly mapping: TableMapping;
  readonly targets: readonly ResolvedTarget[];
  /** The services this legacy table writes to. */
  readonly services: readonly ServiceName[];
}

/**
 * The mappings, compiled once into look-ups: legacy table → mapping and resolved targets, and per
 * service the target tables it owns. Checks that no target table is written by two mappings.
 */
export class RoutingTable {
  readonly bySource: ReadonlyMap<string, RoutedTable>;
  readonly excluded: ReadonlyMap<string, string>;
  readonly tablesByService: ReadonlyMap<ServiceName, readonly string[]>;
  private readonly byDeclaration = new Map<TargetDeclaration, ResolvedTarget>();

  constructor(rules: readonly LegacyTableRule[]) {
    const bySource = new Map<string, RoutedTable>();
    const excluded = new Map<string, string>();
    const writers = new Map<string, string>();
    const tablesByService = new Map<ServiceName, string[]>(SERVICES.map((s) => [s, []]));
    for (const rule of rules) {
      if (bySource.has(rule.source) || excluded.has(rule.source)) throw new PgcarveError('internal', `legacy table ${rule.source} has two rules`);
      if (rule.kind === 'excluded') {
        excluded.set(rule.source, rule.reason);
        continue;
      }
      const targets = rule.targets.map((declaration) => {
        const config = getTableConfig(declaration.table as PgTable);
        const key = config.primaryKeys[0]?.columns.map((c) => c.name) ?? config.columns.filter((c) => c.primary).map((c) => c.name);
        const resolved: ResolvedTarget = {
          declaration,
          kind: declaration.kind,
          service: declaration.service,
          table: config.name,
          key,
          fromSourceKey: declaration.kind === 'owned' ? declaration.fromSourceKey : undefined,
        };
        const where = `${declaration.service}.${config.name}`;
        const other = writers.get(where);
        if (other !== undefined && other !== rule.source) throw new PgcarveError('internal', `target table ${where} is written by the mappings of both ${other} and ${rule.source}`);
        writers.set(where, rule.source);
        const list = tablesByService.get(declaration.service) as string[];
        if (!list.includes(config.name)) list.push(config.name);
        this.byDeclaration.set(declaration, resolved);
        return resolved;
      });
      bySource.set(rule.source, { mapping: rule, targets, services: [...new Set(targets.map((t) => t.service))] });
    }
    this.bySource = bySource;
    this.excluded = excluded;
    this.tablesByService = tablesByService;
  }

  resolve(declaration: TargetDeclaration): ResolvedTarget {
    const resolved = this.byDeclaration.get(declaration);
    if (!resolved) throw new PgcarveError('internal', 'a mapping emitted a row for a target it did not declare');
    return resolved;
  }

  /** Legacy tables in `present` that are neither mapped nor excluded. */
  unrouted(present: readonly string[]): readonly string[] {
    return present.filter((t) => !this.bySource.has(t) && !this.excluded.has(t)).sort();
  }

  mappedSources(): readonly string[] {
    return [...this.bySource.keys()];
  }
}
