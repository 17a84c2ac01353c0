import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../mappings/services.js';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query } from '../streaming/sidecar-fixture.js';
import { seedLegacy, startWorkload } from './legacy-workload.js';
import { sample, startObservedSidecar, type ObservedSidecar } from './observed-sidecar.js';

let dbs: TestDatabases;
let observed: ObservedSidecar;
let legacyServer: EmbeddedCluster;

beforeAll(async () => {
  // The legacy database on a server of its own, without autovacuum: the targets' checkpoint
  // writes, and a vacuum after the load, are WAL too, which the lag reads as not yet applied until
  // the next keepalive; the idle check is about an idle legacy server.
  legacyServer = await EmbeddedCluster.create({ name: 'lag-legacy', settings: { autovacuum: 'off' } });
  dbs = await createTestDatabases({ legacyAdminUrl: legacyServer.url() });
  observed = await startObservedSidecar(dbs, { pollIntervalMs: 500 });
  await seedLegacy(dbs.legacyUrl, { users: 300, documents: 600, activityLogs: 600, messages: 60 });
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
  await legacyServer?.destroy();
});

interface Lag {
  readonly bytes: number;
  readonly seconds: number;
}

/** Lag gauges as a scrape of /metrics shows them. */
async function scrape(): Promise<Map<string, Lag>> {
  const text = await (await fetch(`${observed.url}/metrics`)).text();
  return new Map(
    SERVICES.map((service) => [
      service,
      { bytes: sample(text, 'pgcarve_replication_lag_bytes', { service }) ?? Number.NaN, seconds: sample(text, 'pgcarve_replication_lag_seconds', { service }) ?? Number.NaN },
    ]),
  );
}

const caughtUp = (lags: Map<string, Lag>, services: readonly string[] = SERVICES): boolean => services.every((s) => lags.get(s)?.bytes === 0 && lags.get(s)?.seconds === 0);

describe('replication lag', () => {
  it('rises under load and falls to 0 within seconds of idle, and stays 0 while the legacy database is idle', async () => {
    const peak = new Map<string, Lag>(SERVICES.map((s) => [s, { bytes: 0, seconds: 0 }]));
    const workload = startWorkload(dbs.legacyUrl, { concurrency: 3, pauseMs: 0 });
    try {
      // Scrape until the load has shown up as lag in the services it writes to.
      await waitFor('lag under load', async () => {
        for (const [service, lag] of await scrape()) {
          const p = peak.get(service) as Lag;
          peak.set(service, { bytes: Math.max(p.bytes, lag.bytes), seconds: Math.max(p.seconds, lag.seconds) });
        }
        return ['user_db', 'document_db', 'scraper_db'].every((s) => (peak.get(s)?.bytes ?? 0) > 0 && (peak.get(s)?.seconds ?? 0) > 0);
      }, 30_000, 20);
    } finally {
      await workload.stop();
    }
    const idleFrom = Date.now();
    await waitFor('lag back to 0', async () => caughtUp(await scrape()), 20_000, 50);
    const toZero = Date.now() - idleFrom;
    console.log(`peak lag under load: ${JSON.stringify(Object.fromEntries(peak))}; back to 0 ${toZero} ms after the load stopped`);
    expect(toZero).toBeLessThan(10_000);
    // Idle: several more readings of the legacy position, each one still 0.
    for (let i = 0; i < 4; i += 1) {
      await observed.poller.nextPoll();
      const lags = await scrape();
      expect(caughtUp(lags), `reading ${i + 1} after idle: ${JSON.stringify(Object.fromEntries(lags))}`).toBe(true);
    }
  });

  it('a stopped target shows growing lag and a stopped writer while the others stay at 0', async () => {
    // A legacy DDL change the mapping does not know about: user_db's writer stops (column_missing).
    await query(dbs.serviceUrls.user_db, 'ALTER TABLE user_profiles DROP COLUMN bio');
    const workload = startWorkload(dbs.legacyUrl, { concurrency: 2 });
    let first: Lag;
    try {
      await waitFor('user_db writer stopped', async () => {
        const text = await (await fetch(`${observed.url}/metrics`)).text();
        return sample(text, 'pgcarve_writer_state', { service: 'user_db', state: 'stopped' }) === 1;
      });
      await observed.poller.nextPoll();
      first = (await scrape()).get('user_db') as Lag;
      await observed.poller.nextPoll();
      await observed.poller.nextPoll();
    } finally {
      await workload.stop();
    }
    const later = (await scrape()).get('user_db') as Lag;
    expect(later.bytes).toBeGreaterThan(first.bytes);
    expect(later.seconds).toBeGreaterThan(first.seconds);
    await waitFor('the other services back to 0', async () => caughtUp(await scrape(), SERVICES.filter((s) => s !== 'user_db')), 20_000);
    await observed.poller.nextPoll();
    const lags = await scrape();
    expect((lags.get('user_db') as Lag).bytes).toBeGreaterThan(later.bytes);
    const text = await (await fetch(`${observed.url}/metrics`)).text();
    for (const service of SERVICES) {
      expect(sample(text, 'pgcarve_writer_state', { service, state: 'stopped' }), service).toBe(service === 'user_db' ? 1 : 0);
      expect(sample(text, 'pgcarve_writer_state', { service, state: 'running' }), service).toBe(service === 'user_db' ? 0 : 1);
    }
    expect(sample(text, 'pgcarve_errors_total', { service: 'user_db', kind: 'column_missing' })).toBeGreaterThanOrEqual(1);
    const status = (await (await fetch(`${observed.url}/status`)).json()) as { services: { service: string; writer: { state: string; errorKind: string | null }; lagBytes: number }[] };
    const userDb = status.services.find((s) => s.service === 'user_db');
    expect(userDb?.writer).toMatchObject({ state: 'stopped', errorKind: 'column_missing' });
    expect(userDb?.lagBytes).toBeGreaterThan(0);
  });
});
