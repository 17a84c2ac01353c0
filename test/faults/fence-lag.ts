import pg from 'pg';
import { parseLsn, type Lsn } from '../../src/lsn.js';
import type { ServiceName } from '../../mappings/services.js';
import type { Sidecar } from '../../src/sidecar.js';
import { SUITE_APPLICATION } from './suite-connection.js';

/**
 * Lag measured from outside, as "how long ago was the oldest legacy commit this service has not
 * applied yet": every `probeMs` a transactional logical message is committed into the legacy WAL
 * (directly, a prefix no mapping reads), and every `sampleMs` each service's lag is the age of the
 * oldest probe its writer's durable position has not passed (0 when it has passed them all). A
 * router that stopped reading shows here too, where the writers' own lag (commits received but not
 * applied) sees nothing arrive and says 0.
 */
export interface FenceLagSampler {
  /** The largest lag seen so far per service, in seconds (fence-based and the snapshot's own). */
  readonly max: () => Readonly<Record<ServiceName, { readonly fenceSeconds: number; readonly snapshotSeconds: number }>>;
  readonly samples: () => number;
  readonly stop: () => Promise<void>;
}

const PROBE_PREFIX = 'pgcarve.test.lag-probe';

export async function startFenceLag(legacyUrl: string, sidecar: Sidecar, services: readonly ServiceName[], options: { readonly probeMs?: number; readonly sampleMs?: number } = {}): Promise<FenceLagSampler> {
  const client = new pg.Client({ connectionString: legacyUrl, application_name: SUITE_APPLICATION, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  const probes: { readonly lsn: Lsn; readonly at: number }[] = [];
  const max = Object.fromEntries(services.map((s) => [s, { fenceSeconds: 0, snapshotSeconds: 0 }])) as Record<ServiceName, { fenceSeconds: number; snapshotSeconds: number }>;
  let samples = 0;
  let stopped = false;
  let probing: Promise<void> = Promise.resolve();

  const probe = (): void => {
    probing = probing.then(async () => {
      if (stopped) return;
      const at = Date.now();
      const result = await client.query<{ lsn: string }>('SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn', [PROBE_PREFIX, '']).catch(() => undefined);
      const lsn = result?.rows[0]?.lsn;
      if (lsn) probes.push({ lsn: parseLsn(lsn), at });
    });
  };
  const sample = (): void => {
    const now = Date.now();
    samples += 1;
    const snapshot = sidecar.snapshot();
    const positions = services.map((service) => {
      const progress = snapshot.services.find((s) => s.service === service);
      const position = progress?.appliedLsn ?? 0n;
      const oldest = probes.find((p) => p.lsn >= position);
      const m = max[service];
      m.fenceSeconds = Math.max(m.fenceSeconds, oldest ? (now - oldest.at) / 1000 : 0);
      m.snapshotSeconds = Math.max(m.snapshotSeconds, progress?.lagSeconds ?? 0);
      return position;
    });
    // Probes every service has passed are of no further use.
    const least = positions.reduce((a, b) => (a < b ? a : b));
    while (probes.length > 0 && (probes[0] as { lsn: Lsn }).lsn < least) probes.shift();
  };
  const probeTimer = setInterval(probe, options.probeMs ?? 200);
  const sampleTimer = setInterval(sample, options.sampleMs ?? 100);
  return {
    max: () => structuredClone(max),
    samples: () => samples,
    stop: async () => {
      stopped = true;
      clearInterval(probeTimer);
      clearInterval(sampleTimer);
      await probing;
      await client.end().catch(() => undefined);
    },
  };
}
