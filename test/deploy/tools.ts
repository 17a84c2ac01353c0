import { accessSync, constants } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Debian's `prometheus` package: the server and promtool. */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';
export const PROMTOOL_BINARY = '/usr/bin/promtool';

/**
 * The path of a tool the deployment checks need, or an error saying how to get it. A missing tool
 * fails the test (never skips it): CI installs the tools with .ci/install-tools.sh before the tests.
 */
export function requireTool(path: string, what: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    throw new Error(`${what} is not installed (${path} is missing): run .ci/install-tools.sh, which installs Debian's prometheus package`);
  }
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion and returns its exit code and output (never throws on a non-zero exit). */
export async function run(file: string, args: readonly string[], options: { readonly cwd?: string } = {}): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: process.env['HOME'] ?? '/tmp' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}
