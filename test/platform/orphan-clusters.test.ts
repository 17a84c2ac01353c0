import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reapOrphanClusters } from '../../tools/embedded/embedded-cluster.js';
import { packageRoot } from '../../src/package-root.js';
import { waitFor } from '../harness/wait-for.js';

/**
 * An embedded cluster never outlives its owner for long: an owner that dies of an uncaught error
 * kills it in its exit hook; one killed by SIGKILL (no hook runs) leaves it to the next
 * `reapOrphanClusters()`, which every `EmbeddedCluster.create()` calls first.
 */
const module = pathToFileURL(join(packageRoot(), 'dist', 'tools', 'embedded', 'embedded-cluster.js')).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterOf(dir: string): number {
  return Number.parseInt(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
}

/** Starts a Node process that creates a cluster, prints its directory, then does `then`. */
function owner(then: string): { readonly dir: Promise<string>; readonly exit: Promise<number | null>; readonly pid: number } {
  const script = `const { EmbeddedCluster } = await import(${JSON.stringify(module)});
const cluster = await EmbeddedCluster.create({ name: 'owner' });
console.log('DIR ' + cluster.dir);
${then}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const dir = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      const match = /DIR (\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`owner exited before printing its cluster:\n${output}`)));
  });
  return { dir, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))), pid: child.pid as number };
}

describe.skipIf(process.platform !== 'linux')('orphaned embedded clusters', () => {
  it('an uncaught error in the owner kills its server and removes its directory', async () => {
    expect(existsSync(new URL(module)), 'run `npm run build` first').toBe(true);
    const run = owner(`setTimeout(() => { throw new Error('boom'); }, 10);`);
    const dir = await run.dir;
    const postmaster = postmasterOf(dir);
    expect(await run.exit).toBe(1);
    await waitFor(`postmaster ${postmaster} gone`, () => !alive(postmaster), 30_000);
    expect(existsSync(dir)).toBe(false);
  });

  it('a SIGKILLed owner leaves its server to the next start, which reaps it by postmaster.pid', async () => {
    const run = owner(`setInterval(() => undefined, 1000);`);
    const dir = await run.dir;
    const postmaster = postmasterOf(dir);
    process.kill(run.pid, 'SIGKILL');
    await run.exit;
    expect(alive(postmaster), 'no hook runs on SIGKILL: the server is orphaned').toBe(true);
    expect(readdirSync(join(dir, '..')).includes(dir.split('/').pop() as string)).toBe(true);
    expect(reapOrphanClusters()).toBeGreaterThanOrEqual(1);
    await waitFor(`postmaster ${postmaster} gone`, () => !alive(postmaster), 30_000);
    expect(existsSync(dir)).toBe(false);
  });
});
