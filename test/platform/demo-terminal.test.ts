import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { processesMentioning } from '../harness/processes-mentioning.js';
import { waitFor } from '../harness/wait-for.js';

/**
 * The demo on a terminal: run in the background of one (under `timeout`, which gives its command a
 * process group of its own) it must not stop itself (SIGTTOU on raw mode), and however it ends
 * (SIGINT, SIGTERM, SIGHUP) no PostgreSQL process and no directory may be left behind.
 */
const root = packageRoot();
const demoArgs = ['demo', '--scale', '0.2', '--rate', '5'];

function collect(child: ChildProcess): { readonly text: () => string; readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { text: () => output, exit };
}

async function expectNothingLeft(output: string): Promise<void> {
  const dir = /data directory (\S+)/.exec(output)?.[1];
  expect(dir, output).toBeDefined();
  await waitFor(`no process of ${dir ?? ''} left`, () => processesMentioning(dir as string).length === 0, 30_000);
  expect(existsSync(dir as string), `${dir ?? ''} removed`).toBe(false);
}

describe.skipIf(process.platform !== 'linux')('pgcarve demo on a terminal', () => {
  it('runs to the end in the background of a terminal (a pty, under timeout) and leaves nothing behind', async () => {
    expect(existsSync(join(root, 'dist', 'tools', 'tool.js')), 'run `npm run build:tools` first').toBe(true);
    // `script` gives the shell a pty as its controlling terminal; `timeout` moves the demo to a
    // background process group of it, as `timeout 300 npm run demo` does in an interactive shell.
    // The shell must not exec `timeout` (then it would lead the session): hence the `; echo`.
    const command = `timeout -s TERM 100 ${process.execPath} ${join(root, 'dist', 'tools', 'tool.js')} ${demoArgs.join(' ')} --duration 2; echo "demo exit $?"`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const run = collect(child);
    const { code } = await run.exit;
    const output = run.text();
    expect(code, output).toBe(0);
    expect(output, output).toMatch(/^demo exit 0\r?$/m);
    expect(output, output).toMatch(/^demo succeeded\r?$/m);
    await expectNothingLeft(output);
  }, 200_000);

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`stops its PostgreSQL and removes its directory on ${signal}`, async () => {
      const child = spawn(process.execPath, [join(root, 'dist', 'tools', 'tool.js'), ...demoArgs, '--duration', '600'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const run = collect(child);
      await waitFor('the demo started its sidecar', () => /^sidecar started/m.test(run.text()), 120_000);
      child.kill(signal);
      const { code } = await run.exit;
      const output = run.text();
      expect(code, output).toBe(1);
      expect(output, output).toMatch(/^demo interrupted$/m);
      await expectNothingLeft(output);
    }, 200_000);
  }
});
