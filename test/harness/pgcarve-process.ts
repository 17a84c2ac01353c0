import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/** `pgcarve <args>` as a child process (the built CLI in dist/, as users run it), with its output kept. */
export interface PgcarveProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Resolves with the HTTP port once the API listens. */
  readonly httpPort: Promise<number>;
  /** Peak resident set size in bytes (VmHWM), while the process lives. */
  peakRss(): number | undefined;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
}

/**
 * `node bin/pgcarve.js <args>` with `env` (and PATH) only. `command`, when given, is run instead
 * (e.g. `script … 'node bin/pgcarve.js run'` for a pty): it must run the CLI itself.
 */
export function spawnPgcarve(args: readonly string[], env: Readonly<Record<string, string>>, command: readonly string[] = []): PgcarveProcess {
  const [file, ...commandArgs] = command.length > 0 ? command : [process.execPath, join(packageRoot(), 'bin', 'pgcarve.js'), ...args];
  const child = spawn(file as string, commandArgs, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let resolvePort: (port: number) => void = () => undefined;
  const httpPort = new Promise<number>((resolve) => (resolvePort = resolve));
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    const match = /HTTP API listening on port (\d+)/.exec(output);
    if (match) resolvePort(Number(match[1]));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    output: () => output,
    exited,
    httpPort,
    peakRss: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        return match ? Number(match[1]) * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
