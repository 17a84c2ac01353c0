import { createHash } from 'node:crypto';
import { chmodSync, cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The user PostgreSQL runs as when this process is root. */
export interface ServerUser {
  readonly uid: number;
  readonly gid: number;
}

const CACHE_PREFIX = 'pgcarve-binaries-';

/**
 * Whether `user` can open `path` with the permission bits `need` (4 read, 2 write, 1 execute)
 * and search every directory above it. Ownership and mode only (no ACLs), like PostgreSQL's own
 * checks of its data directory.
 */
export function reachableBy(path: string, user: ServerUser, need: number): boolean {
  const allowed = (p: string, bits: number): boolean => {
    const st = statSync(p);
    const granted = st.uid === user.uid ? (st.mode >> 6) & 7 : st.gid === user.gid ? (st.mode >> 3) & 7 : st.mode & 7;
    return (granted & bits) === bits;
  };
  try {
    const real = realpathSync(path);
    for (let dir = dirname(real); ; dir = dirname(dir)) {
      if (!allowed(dir, 1)) return false;
      if (dir === dirname(dir)) break;
    }
    return allowed(real, need);
  } catch {
    return false;
  }
}

function makeReadable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeReadable(path);
    else if (entry.isFile()) chmodSync(path, (lstatSync(path).mode & 0o100) !== 0 ? 0o755 : 0o644);
  }
}

/** A cache directory this process may run binaries from: a real directory it owns that nobody else can write. */
function trustworthy(dir: string): boolean {
  const st = lstatSync(dir);
  return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
}

/**
 * The directory of initdb and postgres that `user` can run. PostgreSQL refuses to run as root, so
 * as root the cluster runs as `user`, which cannot reach a checkout under a private directory
 * (mode 0700, such as /root/… or a `mktemp -d`). Then the installation (bin/, lib/, share/ next to
 * bin/) is copied once to a world-readable cache directory under the system's temporary directory,
 * named for the hash of the postgres binary (so one copy per version), created atomically (copied
 * under a temporary name, then renamed), and reused by later runs.
 */
export function binariesReachableBy(binDir: string, user: ServerUser, base = tmpdir()): string {
  if (['initdb', 'postgres'].every((b) => reachableBy(join(binDir, b), user, 5))) return binDir;
  const root = dirname(realpathSync(binDir));
  const hash = createHash('sha256').update(readFileSync(join(root, 'bin', 'postgres'))).digest('hex').slice(0, 16);
  const cache = join(base, `${CACHE_PREFIX}${hash}`);
  if (!reachableBy(base, user, 1)) {
    throw new Error(
      `the postgres user cannot reach the temporary directory ${base}, where the PostgreSQL binaries would be copied ` +
        `from ${root}: set TMPDIR to a directory every user can search (for example /tmp)`,
    );
  }
  let exists = true;
  try {
    lstatSync(cache);
  } catch {
    exists = false;
  }
  if (!exists) {
    const partial = mkdtempSync(join(base, `${CACHE_PREFIX}${hash}.partial-`));
    try {
      cpSync(root, partial, { recursive: true, verbatimSymlinks: true });
      makeReadable(partial);
      renameSync(partial, cache);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      // Another process renamed its copy first: use that one.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  }
  if (!trustworthy(cache)) {
    throw new Error(`${cache} is not a directory owned by this user and writable by it alone: remove it, then run again`);
  }
  return join(cache, 'bin');
}
