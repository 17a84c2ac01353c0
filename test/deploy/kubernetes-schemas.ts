import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { Manifest } from './helm-chart.js';
import { typecheckLiterals } from './typecheck-literal.js';

interface Model {
  validate(): void;
}

/**
 * The kinds the chart renders, each with its kubernetes-models class (runtime validation against
 * the Kubernetes OpenAPI schema: required fields, types, enums, patterns) and its TypeScript
 * interface (a compile-time check of the literal, which also rejects unknown fields, something the
 * runtime schemas let through). A kind missing here fails the test: add it when a template is added.
 */
const KINDS: Readonly<Record<string, { readonly model: new (data: never) => Model; readonly module: string; readonly type: string }>> = {
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1', type: 'IConfigMap' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1', type: 'IService' },
  'v1/ServiceAccount': { model: ServiceAccount, module: 'kubernetes-models/v1', type: 'IServiceAccount' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1', type: 'IDeployment' },
  'batch/v1/Job': { model: Job, module: 'kubernetes-models/batch/v1', type: 'IJob' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, module: 'kubernetes-models/networking.k8s.io/v1', type: 'INetworkPolicy' },
  'monitoring.coreos.com/v1/ServiceMonitor': { model: ServiceMonitor, module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1', type: 'IServiceMonitor' },
  'monitoring.coreos.com/v1/PrometheusRule': { model: PrometheusRule, module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1', type: 'IPrometheusRule' },
};

function kindOf(manifest: Manifest): string {
  return `${manifest.apiVersion}/${manifest.kind}`;
}

/** Problems with the manifests, one line each; empty when every manifest is valid. */
export function validateManifests(manifests: readonly Manifest[]): readonly string[] {
  const problems: string[] = [];
  const typed: { type: string; value: unknown; label: string }[] = [];
  const imports = new Map<string, Set<string>>();
  for (const manifest of manifests) {
    const label = `${manifest.kind}/${manifest.metadata.name}`;
    const kind = KINDS[kindOf(manifest)];
    if (!kind) {
      problems.push(`${label}: ${kindOf(manifest)} has no schema in test/deploy/kubernetes-schemas.ts`);
      continue;
    }
    try {
      new kind.model(manifest as never).validate();
    } catch (error) {
      problems.push(`${label}: ${(error as Error).message}`);
    }
    imports.set(kind.module, (imports.get(kind.module) ?? new Set()).add(kind.type));
    typed.push({ type: kind.type, value: manifest, label });
  }
  const importLines = [...imports].map(([module, types]) => `import type { ${[...types].join(', ')} } from '${module}';`);
  problems.push(...typecheckLiterals(importLines, typed));
  return problems;
}
