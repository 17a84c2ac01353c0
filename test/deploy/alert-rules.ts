import { ALL_OPTIONAL_ON, findManifest, renderChart } from './helm-chart.js';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/**
 * The alerting rules exactly as the chart ships them: the PrometheusRule rendered by helm for
 * release `pgcarve` in namespace `pgcarve` (so the series selector is
 * `namespace="pgcarve", job="pgcarve"`), as a Prometheus rule file's groups.
 */
export async function renderAlertRules(set: readonly string[] = []): Promise<readonly RuleGroup[]> {
  const manifests = await renderChart([...ALL_OPTIONAL_ON, ...set]);
  return (findManifest(manifests, 'PrometheusRule')['spec'] as { groups: RuleGroup[] }).groups;
}
