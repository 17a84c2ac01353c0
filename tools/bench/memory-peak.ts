import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../embedded/embedded-cluster.js';
import { packageRoot } from '../../src/package-root.js';
import { SMALL_TRANSACTION_CHANGES, writeLargeTransaction, writeSmallTransactions } from './backlog.js';
import type { BenchDatabases } from './bench-databases.js';
import { fenceAndWait } from './in-process-sidecar.js';
import { pause } from '../../src/pause.js';

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
      await pause(50);
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

/** How a backlog of about `changes` changes is composed: 60 % in small transactions, the rest one large transaction. */
export function backlogComposition(changes: number): { readonly smallTransactions: number; readonly largeTransactionRows: number } {
  const smallTransactions = Math.max(1, Math.round((changes * 0.6) / SMALL_TRANSACTION_CHANGES));
  return { smallTransactions, largeTransactionRows: Math.max(1, changes - smallTransactions * SMALL_TRANSACTION_CHANGES) };
}

/**
 * Peak RSS of a fresh `pgcarve run` (existing slot) that drains a backlog of about `changes`
 * changes written while it was stopped: small transactions across 4 services, then one large
 * transaction (backlogComposition). Measured once every service has applied the fence behind it.
 */
export async function backlogPeakRss(db: BenchDatabases, changes: number, tag: string): Promise<{ readonly peakMiB: number; readonly changes: number }> {
  const { smallTransactions, largeTransactionRows } = backlogComposition(changes);
  const small = await writeSmallTransactions(db.legacyUrl, smallTransactions, `${tag}-small`);
  const large = await writeLargeTransaction(db.legacyUrl, largeTransactionRows, `${tag}-large`);
  const child = await PgcarveChild.start(db);
  try {
    if (!(await fenceAndWait(db.config(), 1_800_000))) throw new Error(`pgcarve did not drain the ${changes}-change backlog in time`);
    return { peakMiB: peakRssMiB(child.pid), changes: small.changes + large.changes };
  } finally {
    await child.stop();
  }
}
