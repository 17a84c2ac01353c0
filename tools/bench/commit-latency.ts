import { BENCH_PURPOSE, withClient } from './bench-cluster.js';
import { quantile } from './sample-stats.js';
import { connect } from '../../src/pg/with-client.js';
import { pause } from '../../src/pause.js';

/** Legacy commit to target commit, per row, from both servers' commit timestamps (track_commit_timestamp). */
export interface LatencyResult {
  readonly rows: number;
  readonly achievedChangesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface ProbeWrites {
  readonly tag: string;
  readonly rows: number;
  readonly seconds: number;
}

/**
 * Writes scraper activity log rows (which every consumer carries) at `changesPerSecond` for
 * `seconds`, as transactions of `rowsPerTransaction` rows from two connections, paced by the clock.
 */
export async function writeProbes(legacyUrl: string, tag: string, changesPerSecond: number, seconds: number, rowsPerTransaction = 10): Promise<ProbeWrites> {
  const connections = 2;
  const intervalMs = (rowsPerTransaction * connections * 1000) / changesPerSecond;
  const started = performance.now();
  let rows = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, index) => {
      const client = await connect(legacyUrl, BENCH_PURPOSE);
      try {
        for (let k = 0; ; k += 1) {
          const due = started + index * (intervalMs / connections) + k * intervalMs;
          if (due - started > seconds * 1000) break;
          const wait = due - performance.now();
          await pause(wait);
          await client.query(
            `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
             SELECT NULL, 'probe', 'scraper_probe', g::text, jsonb_build_object('tag', $1::text), clock_timestamp() FROM generate_series(1, $2::int) AS g`,
            [tag, rowsPerTransaction],
          );
          rows += rowsPerTransaction;
        }
      } finally {
        await client.end();
      }
    }),
  );
  return { tag, rows, seconds: (performance.now() - started) / 1000 };
}

/**
 * Where a target's apply time comes from. `commit`: the commit timestamp of the row's transaction
 * (pgcarve's writers). `apply-clock`: a trigger's clock_timestamp() when the row was applied, for
 * a native subscriber, whose commits carry the *origin's* commit timestamp instead of their own;
 * taken before the commit, it slightly favours the subscriber.
 */
export type TargetClock = 'commit' | 'apply-clock';

const APPLY_CLOCK_SQL = `
CREATE TABLE IF NOT EXISTS public.bench_apply_clock (id bigint PRIMARY KEY, applied_at timestamptz NOT NULL);
CREATE OR REPLACE FUNCTION public.bench_apply_clock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.bench_apply_clock VALUES (NEW.id, clock_timestamp()) ON CONFLICT (id) DO NOTHING;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS bench_apply_clock ON public.activity_logs;
CREATE TRIGGER bench_apply_clock AFTER INSERT ON public.activity_logs FOR EACH ROW EXECUTE FUNCTION public.bench_apply_clock();
ALTER TABLE public.activity_logs ENABLE ALWAYS TRIGGER bench_apply_clock;`;

/** Installs the apply-clock trigger on a subscriber's activity_logs (it fires in the apply worker too). */
export async function installApplyClock(url: string): Promise<void> {
  await withClient(url, (client) => client.query(APPLY_CLOCK_SQL));
}

async function commitTimes(url: string, tag: string, clock: TargetClock = 'commit'): Promise<Map<string, number>> {
  return await withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string; ms: number }>(
      clock === 'commit'
        ? `SELECT id::text AS id, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8 AS ms FROM public.activity_logs WHERE details->>'tag' = $1`
        : `SELECT a.id::text AS id, (extract(epoch FROM c.applied_at) * 1000)::float8 AS ms FROM public.activity_logs a JOIN public.bench_apply_clock c USING (id) WHERE a.details->>'tag' = $1`,
      [tag],
    );
    return new Map(rows.map((r) => [r.id, r.ms]));
  });
}

/** Compares the commit time of each probe row on the legacy and on the target database. */
export async function measureLatency(legacyUrl: string, targetUrl: string, probes: ProbeWrites, clock: TargetClock = 'commit'): Promise<LatencyResult> {
  const source = await commitTimes(legacyUrl, probes.tag);
  const target = await commitTimes(targetUrl, probes.tag, clock);
  const latencies: number[] = [];
  for (const [id, committed] of source) {
    const applied = target.get(id);
    if (applied !== undefined) latencies.push(applied - committed);
  }
  if (latencies.length !== source.size) throw new Error(`only ${latencies.length} of ${source.size} probe rows reached the target`);
  return {
    rows: latencies.length,
    achievedChangesPerSecond: probes.rows / probes.seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: Math.max(...latencies),
  };
}
