import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = fileURLToPath(new URL('../../grafana/pgcarve.json', import.meta.url));
export const CHART_DASHBOARD_PATH = fileURLToPath(new URL('../../helm/pgcarve/dashboards/pgcarve.json', import.meta.url));

/** One query of one panel of the dashboard, as written (Grafana variables not substituted). */
export interface PanelQuery {
  readonly panel: string;
  readonly row: string;
  readonly refId: string;
  readonly expr: string;
}

interface PanelJson {
  readonly type?: string;
  readonly title?: string;
  readonly panels?: readonly PanelJson[];
  readonly targets?: readonly { readonly expr?: string; readonly refId?: string; readonly hide?: boolean }[];
}

export function readDashboard(path: string = DASHBOARD_PATH): { readonly panels?: readonly PanelJson[] } {
  return JSON.parse(readFileSync(path, 'utf8')) as { panels?: readonly PanelJson[] };
}

/** Every non-hidden query of every panel, collapsed rows included, in dashboard order. */
export function dashboardQueries(dashboard: { readonly panels?: readonly PanelJson[] } = readDashboard()): readonly PanelQuery[] {
  const queries: PanelQuery[] = [];
  let row = '';
  const visit = (panel: PanelJson): void => {
    if (panel.type === 'row') {
      row = panel.title ?? '';
      for (const child of panel.panels ?? []) visit(child);
      return;
    }
    for (const target of panel.targets ?? []) {
      if (target.hide || !target.expr) continue;
      queries.push({ panel: panel.title ?? '(untitled)', row, refId: target.refId ?? '?', expr: target.expr });
    }
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return queries;
}

export interface VariableValues {
  /** Services selected in `$service` (Grafana renders a multi-value selection as `(a|b|c)`). */
  readonly services: readonly string[];
  /** `$__rate_interval`: at least four scrape intervals. */
  readonly rateInterval: string;
  /** `$__range`: the dashboard's time range. */
  readonly range: string;
  /** `$__interval`: the step between points. */
  readonly interval: string;
}

/**
 * A query with the dashboard's variables substituted as Grafana would for a Prometheus data
 * source. `$datasource` only picks the data source and never appears in an expression.
 */
export function expandVariables(expr: string, values: VariableValues): string {
  const regex = values.services.length === 1 ? escapeRegex(values.services[0] ?? '') : `(${values.services.map(escapeRegex).join('|')})`;
  const variables: Readonly<Record<string, string>> = {
    service: regex,
    __rate_interval: values.rateInterval,
    __range: values.range,
    __interval: values.interval,
  };
  const expanded = expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = a ?? b ?? c ?? '';
    const value = variables[name];
    if (value === undefined) throw new Error(`query uses the unknown variable ${whole}: ${expr}`);
    return value;
  });
  return expanded;
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}
