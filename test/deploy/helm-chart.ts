import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from './helm-binary.js';
import { run, type RunResult } from './tools.js';

export const CHART_DIR = fileURLToPath(new URL('../../helm/pgcarve', import.meta.url));
export const RELEASE = 'pgcarve';
export const NAMESPACE = 'pgcarve';

/** Every optional object of the chart switched on. */
export const ALL_OPTIONAL_ON: readonly string[] = [
  'monitoring.serviceMonitor.enabled=true',
  'monitoring.prometheusRule.enabled=true',
  'monitoring.grafanaDashboard.enabled=true',
  'networkPolicy.enabled=true',
  'networkPolicy.egress.enabled=true',
  'migrate.enabled=true',
  'serviceAccount.create=true',
  'httpToken.existingSecret=pgcarve-http-token',
];

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [key: string]: unknown;
}

export async function helm(args: readonly string[]): Promise<RunResult> {
  return run(helmBinary(), args);
}

function setArgs(set: readonly string[]): string[] {
  return set.flatMap((s) => ['--set', s]);
}

/** `helm lint --strict` of the chart with the given --set values. */
export async function lintChart(set: readonly string[] = []): Promise<RunResult> {
  return helm(['lint', '--strict', CHART_DIR, '--namespace', NAMESPACE, ...setArgs(set)]);
}

/** `helm template` of the chart; throws with helm's message when it fails. */
export async function renderChart(set: readonly string[] = []): Promise<readonly Manifest[]> {
  const result = await helm(['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...setArgs(set)]);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): readonly Manifest[] {
  const manifests: Manifest[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) manifests.push(value as Manifest);
  }
  return manifests;
}

export function findManifest(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
}
