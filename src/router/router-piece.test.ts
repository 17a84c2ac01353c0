import { recordingPorts } from '../../test/harness/recording-ports.js';
import { describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { silentLogger } from '../log.js';
import { lsnFromBigInt } from '../lsn.js';
import type { WriterItem } from '../targets/writer-item.js';
import { Router } from './router.js';
import { RoutingTable } from './routing-table.js';

const routing = new RoutingTable(LEGACY_RULES);
const columns = ['id', 'url', 'free_zone_id', 'kind', 'status', 'created_at', 'updated_at'].map((name) => ({ name, flags: name === 'id' ? 1 : 0, typeOid: 25, typeMod: -1 }));

describe('Router pieces', () => {
  it('pushes wide rows to the writer by bytes, not only every 500 changes', async () => {
    const received: WriterItem[] = [];
    const ports = recordingPorts('scraper_db', received);
    const router = new Router(routing, ports, silentLogger);
    await router.handle({ kind: 'begin', finalLsn: lsnFromBigInt(0x1000n), commitTime: 0n, xid: 1 });
    await router.handle({ kind: 'relation', relationId: 16_400, schema: 'public', name: 'scraper_tasks', replicaIdentity: 'default', columns, keyColumns: ['id'] });
    const wide = 'u'.repeat(256 * 1024);
    for (let id = 1; id <= 20; id += 1) await router.handle({ kind: 'insert', relationId: 16_400, newTuple: [String(id), wide, null, 'k', 's', null, null] });
    const beforeCommit = received.filter((i) => i.kind === 'ops').length;
    await router.handle({ kind: 'commit', flags: 0, commitLsn: lsnFromBigInt(0x1000n), endLsn: lsnFromBigInt(0x1008n), commitTime: 0n });
    // 20 rows of 256 KiB: pushed in pieces of about 1 MiB while the transaction is read.
    expect(beforeCommit).toBeGreaterThanOrEqual(4);
    const ops = received.flatMap((i) => (i.kind === 'ops' ? i.ops : []));
    expect(ops).toHaveLength(20);
  });
});
