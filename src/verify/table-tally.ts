import type { ResolvedTarget } from '../router/routing-table.js';
import type { DriftKind, DriftSample, TableDrift } from './drift-report.js';

/** The counts of one target table during one pass (mutable while the pass runs). */
export class TableTally {
  checkedRows = 0;
  private readonly counts: Record<DriftKind, number> = { missing: 0, extra: 0, different: 0 };
  private unsettled = 0;
  private readonly samples: DriftSample[] = [];
  /** Target rows already counted: a reference row many legacy rows need is one row. */
  private readonly seen = new Set<string>();

  constructor(
    readonly target: ResolvedTarget,
    private readonly source: string,
    private readonly extraChecked: boolean,
    private readonly maxSamples: number,
  ) {}

  /** A confirmed difference: `key` is the target row's key, `legacyKey` the legacy row's behind it. */
  confirmed(kind: DriftKind, key: string, legacyKey: string, columns: readonly string[]): void {
    if (this.seen.has(`${kind}:${key}`)) return;
    this.seen.add(`${kind}:${key}`);
    this.counts[kind] += 1;
    if (this.samples.length < this.maxSamples) this.samples.push({ kind, key, legacyKey, columns });
  }

  unsettledRows(count: number): void {
    this.unsettled += count;
  }

  result(): TableDrift {
    return {
      service: this.target.service,
      table: this.target.table,
      source: this.source,
      targetKind: this.target.kind,
      extraChecked: this.extraChecked,
      checkedRows: this.checkedRows,
      missing: this.counts.missing,
      extra: this.counts.extra,
      different: this.counts.different,
      unsettled: this.unsettled,
      samples: [...this.samples],
    };
  }
}
