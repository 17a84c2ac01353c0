import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `pgcarve <args>` to its end, as users run it: the built CLI (`npm test` builds it first) in a
 * child process whose environment is `env` alone (plus PATH), so nothing of the test's leaks in.
 */
export function runCli(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(packageRoot(), 'bin', 'pgcarve.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (code === undefined) reject(error ?? new Error('pgcarve ended without an exit code'));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** The commands `pgcarve --help` lists (the lines under "Commands:"), by name. */
export async function cliCommands(): Promise<readonly string[]> {
  const help = await runCli(['--help'], {});
  const section = help.stdout.slice(help.stdout.indexOf('Commands:\n') + 'Commands:\n'.length);
  return section
    .slice(0, section.indexOf('\n\n'))
    .split('\n')
    .map((line) => /^ {2}([a-z-]+) {2}/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}
