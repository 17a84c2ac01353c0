import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/** `node bin/pgcarve.js <args>` (the build in dist/, as users run it), with its output kept. */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  readonly exited: Promise<number | string>;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
}

export function spawnPgcarve(args: readonly string[], env: Readonly<Record<string, string>>, command: readonly string[] = []): Child {
  const entry = [join(packageRoot(), 'bin', 'pgcarve.js'), ...args];
  const [file, ...prefix] = command.length > 0 ? command : [process.execPath];
  const child = spawn(file as string, [...prefix, ...(command.length > 0 ? [] : entry)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    process: child,
    output: () => output,
    exited,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
