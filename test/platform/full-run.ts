import { spawnPgcarve, type PgcarveProcess } from '../harness/pgcarve-process.js';
import { waitFor } from '../harness/wait-for.js';

/** What one pgcarve invocation (or HTTP request) of a full run printed. */
export interface Step {
  readonly what: string;
  readonly code: number | string;
  readonly output: string;
}

export async function pgcarve(args: readonly string[], env: Readonly<Record<string, string>>): Promise<Step> {
  const child = spawnPgcarve(args, env);
  const code = await child.exited;
  return { what: `pgcarve ${args.join(' ')}`, code, output: child.output() };
}

/**
 * The whole life of a migration as an operator drives it, each step a real `pgcarve` process (the
 * build in dist/): migrate, run (backfill, then streaming) while `write` changes the legacy
 * database, wait-sync (then `whileStreaming`), verify, status --json, GET /status and /metrics, then SIGTERM. Every output
 * is returned, for assertions on exit codes and for greps (passwords).
 */
export async function fullRun(env: Readonly<Record<string, string>>, write: () => Promise<void>, whileStreaming: () => Promise<void> = async () => undefined): Promise<readonly Step[]> {
  const steps: Step[] = [];
  const runEnv = { ...env, PGCARVE_LOG_LEVEL: 'info', PGCARVE_HTTP_PORT: '0' };
  steps.push(await pgcarve(['migrate'], env));
  const run: PgcarveProcess = spawnPgcarve(['run'], runEnv);
  try {
    const port = await waitFor('pgcarve run to listen', () => {
      if (run.child.exitCode !== null) throw new Error(`pgcarve run exited:\n${run.output()}`);
      return /HTTP API listening on port (\d+)/.exec(run.output())?.[1];
    }, 120_000);
    await write();
    steps.push(await pgcarve(['wait-sync', '--timeout', '120'], env));
    await whileStreaming();
    steps.push(await pgcarve(['verify'], env));
    steps.push(await pgcarve(['status', '--json'], { ...env, PGCARVE_HTTP_PORT: port }));
    for (const path of ['/status', '/metrics']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      steps.push({ what: `GET ${path}`, code: response.status, output: await response.text() });
    }
  } finally {
    run.child.kill('SIGTERM');
    const code = await run.exited;
    steps.push({ what: 'pgcarve run', code, output: run.output() });
  }
  return steps;
}

/** The steps whose exit code (or HTTP status) is not the success one, for an assertion's message. */
export function failedSteps(steps: readonly Step[]): string {
  return steps
    .filter((s) => !(s.code === 0 || s.code === 200))
    .map((s) => `${s.what} → ${s.code}\n${s.output}`)
    .join('\n\n');
}
