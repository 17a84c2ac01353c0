import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { BENCH_PURPOSE, recreateDatabase } from './bench-cluster.js';
import { summarize, type SampleStats } from './sample-stats.js';
import { connect } from '../../src/pg/with-client.js';

/**
 * How to send a batch of upserts to a target (issue 4): measured on a table shaped like
 * activity_logs, half the batch new keys and half existing ones, each batch in one transaction.
 * Every strategy passes values as text and lets the server cast them, as BatchApplier does.
 */
export type ApplyStrategy = 'unnest' | 'values' | 'copy';
export const APPLY_STRATEGIES: readonly ApplyStrategy[] = ['unnest', 'values', 'copy'];

const DB = 'bench_apply';
const COLUMNS = ['id', 'actor_user_id', 'action', 'entity', 'entity_id', 'details', 'created_at'] as const;
const TYPES = ['bigint', 'int', 'text', 'text', 'text', 'jsonb', 'timestamptz'] as const;
const UPDATE_SET = COLUMNS.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
type TextRow = readonly (string | null)[];

function rows(from: number, count: number, version: number): TextRow[] {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return [String(id), String(id % 997), `action ${version}`, id % 2 === 0 ? 'scraper_task' : 'scraper_result', `entity-${id}`, JSON.stringify({ id, version, note: 'a, "quoted" value' }), '2024-05-01 12:34:56.123456+00'];
  });
}

async function applyUnnest(client: pg.ClientBase, batch: readonly TextRow[]): Promise<void> {
  const params = COLUMNS.map((_, c) => batch.map((row) => row[c] ?? null));
  await client.query(
    `INSERT INTO apply_target (${COLUMNS.join(', ')}) SELECT ${COLUMNS.map((c, i) => `u.${c}::${TYPES[i]}`).join(', ')}
     FROM unnest(${COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${COLUMNS.join(', ')})
     ON CONFLICT (id) DO UPDATE SET ${UPDATE_SET}`,
    params,
  );
}

async function applyValues(client: pg.ClientBase, batch: readonly TextRow[]): Promise<void> {
  // At most 65,535 parameters per statement.
  const perStatement = Math.floor(65_535 / COLUMNS.length);
  for (let start = 0; start < batch.length; start += perStatement) {
    const chunk = batch.slice(start, start + perStatement);
    const tuples = chunk.map((_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}::${TYPES[c]}`).join(', ')})`);
    await client.query(`INSERT INTO apply_target (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO UPDATE SET ${UPDATE_SET}`, chunk.flat());
  }
}

function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

async function applyCopy(client: pg.ClientBase, batch: readonly TextRow[]): Promise<void> {
  await client.query('CREATE TEMP TABLE apply_staging (LIKE apply_target) ON COMMIT DROP');
  const text = batch.map((row) => row.map(copyText).join('\t')).join('\n') + '\n';
  await pipeline(Readable.from([text]), client.query(copyFrom(`COPY apply_staging (${COLUMNS.join(', ')}) FROM STDIN`)));
  await client.query(`INSERT INTO apply_target SELECT * FROM apply_staging ON CONFLICT (id) DO UPDATE SET ${UPDATE_SET}`);
}

const APPLY: Readonly<Record<ApplyStrategy, (client: pg.ClientBase, batch: readonly TextRow[]) => Promise<void>>> = {
  unnest: applyUnnest,
  values: applyValues,
  copy: applyCopy,
};

/** Rows per second of each strategy over `repetitions` batches of `batchRows` rows. */
export async function measureApplyStrategies(cluster: EmbeddedCluster, batchRows: number, repetitions: number): Promise<Record<ApplyStrategy, SampleStats>> {
  await recreateDatabase(cluster, DB);
  const client = await connect(cluster.url(DB), BENCH_PURPOSE);
  try {
    await client.query(`CREATE TABLE apply_target (${COLUMNS.map((c, i) => `${c} ${TYPES[i]}${c === 'id' ? ' PRIMARY KEY' : ''}`).join(', ')})`);
    const samples: Record<ApplyStrategy, number[]> = { unnest: [], values: [], copy: [] };
    for (let rep = 0; rep < repetitions; rep += 1) {
      for (const strategy of APPLY_STRATEGIES) {
        await client.query('TRUNCATE apply_target');
        // Half the batch's keys exist already: an upsert batch updates as well as inserts.
        await applyUnnest(client, rows(1, Math.floor(batchRows / 2), 0));
        await client.query('VACUUM ANALYZE apply_target');
        const batch = rows(1 + Math.floor(batchRows / 4), batchRows, rep + 1);
        const started = performance.now();
        await client.query('BEGIN');
        await APPLY[strategy](client, batch);
        await client.query('COMMIT');
        samples[strategy].push(batchRows / ((performance.now() - started) / 1000));
      }
    }
    return { unnest: summarize(samples.unnest), values: summarize(samples.values), copy: summarize(samples.copy) };
  } finally {
    await client.end();
  }
}
