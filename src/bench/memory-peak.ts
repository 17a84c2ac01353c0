import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../embedded/embedded-cluster.js';
import { packageRoot } from '../package-root.js';
import { withClient } from './bench-cluster.js';
import type { BenchDatabases } from './bench-databases.js';
import { fenceAndWait } from './in-process-sidecar.js';

/** Peak resident set size (VmHWM) of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** A child `pgcarve run` (the built CLI) over the benchmark's databases, as an operator runs it. */
class PgcarveChild {
  private constructor(
    readonly child: ChildProcess,
    private readonly output: { text: string },
  ) {}

  static async start(db: BenchDatabases): Promise<PgcarveChild> {
    const port = await freePort();
    const output = { text: '' };
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'pgcarve.js'), 'run'], {
      env: { ...process.env, ...db.configEnv(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (c: Buffer) => (output.text = (output.text + c.toString()).slice(-4000)));
    const running = new PgcarveChild(child, output);
    await running.waitReady(port, 600_000);
    return running;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('pgcarve run did not start');
    return this.child.pid;
  }

  private async waitReady(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`pgcarve run exited with ${this.child.exitCode}: ${this.output.text}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`pgcarve run was not ready within ${timeoutMs} ms: ${this.output.text}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Peak RSS of `pgcarve run` while it backfills fresh targets (the largest table included),
 * measured when it reports ready (backfill done, streaming). The targets must be fresh.
 */
export async function backfillPeakRss(db: BenchDatabases): Promise<number> {
  const child = await PgcarveChild.start(db);
  try {
    return peakRssMiB(child.pid);
  } finally {
    await child.stop();
  }
}

/**
 * Peak RSS of a fresh `pgcarve run` (existing slot) that applies one legacy transaction of `rows`
 * inserted activity log rows (all within the scraper filter, so every row is written to a target).
 */
export async function largeTransactionPeakRss(db: BenchDatabases, rows: number): Promise<number> {
  const child = await PgcarveChild.start(db);
  try {
    await withClient(db.legacyUrl, (c) =>
      c.query(
        `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
         SELECT g % 1000, 'bulk', 'scraper_bulk', g::text, jsonb_build_object('g', g, 'note', 'one large transaction'), now() FROM generate_series(1, $1::int) AS g`,
        [rows],
      ),
    );
    if (!(await fenceAndWait(db.config(), 1_800_000))) throw new Error(`pgcarve did not apply the ${rows}-row transaction in time`);
    return peakRssMiB(child.pid);
  } finally {
    await child.stop();
  }
}
