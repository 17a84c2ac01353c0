import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { lsnFromBigInt } from '../lsn.js';
import type { TargetOp } from './target-op.js';
import { WriterQueue } from './writer-queue.js';
import type { WriterItem } from './writer-item.js';
import { ITEM_OVERHEAD_BYTES, writerItemBytes } from './writer-item-bytes.js';

const MiB = 1024 * 1024;

const queue = (maxBytes: number): WriterQueue => new WriterQueue(maxBytes, 60_000, () => undefined);
const upsert = (text: string): TargetOp => ({ kind: 'upsert', table: 'messages', source: 'messages', row: { id: '1', content: text }, op: 'insert' });
const begin = (i: number): WriterItem => ({ kind: 'begin', finalLsn: lsnFromBigInt(BigInt(i)), commitTimeMs: 0 });
const commit = (i: number): WriterItem => ({ kind: 'commit', endLsn: lsnFromBigInt(BigInt(i)), commitTimeMs: 0, fence: false });

/** Pushes until a push asks the caller to wait; returns how many were accepted without waiting. */
function pushUntilFull(q: WriterQueue, items: (i: number) => WriterItem, limit: number): number {
  for (let i = 0; i < limit; i += 1) if (q.push(items(i))) return i;
  return limit;
}

describe('WriterQueue is bounded by bytes', () => {
  it('a few ops with large values fill it (an op count would not)', () => {
    const q = queue(8 * MiB);
    const accepted = pushUntilFull(q, () => ({ kind: 'ops', ops: [upsert('x'.repeat(MiB))] }), 1_000);
    expect(accepted).toBe(7);
    expect(q.queuedBytes).toBeGreaterThanOrEqual(8 * MiB);
  });

  it('begin and commit items count: many small transactions without ops fill it', () => {
    const q = queue(1 * MiB);
    const accepted = pushUntilFull(q, (i) => (i % 2 === 0 ? begin(i) : commit(i)), 1_000_000);
    expect(accepted).toBeLessThan(1_000_000);
    expect(accepted).toBe(Math.ceil(MiB / ITEM_OVERHEAD_BYTES) - 1);
  });

  it('releases the waiting caller once taken down to half, and counts back to zero', async () => {
    const q = queue(1 * MiB);
    const item: WriterItem = { kind: 'ops', ops: [upsert('y'.repeat(MiB / 4))] };
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 10 && !wait; i += 1) wait = q.push(item);
    expect(wait).toBeDefined();
    let released = false;
    void wait?.then(() => (released = true));
    q.take();
    await Promise.resolve();
    expect(released).toBe(false);
    q.take();
    q.take();
    await Promise.resolve();
    expect(released).toBe(true);
    while (q.take()) {
      // drain
    }
    expect(q.queuedBytes).toBe(0);
  });

  it('estimates an ops item by its text and a fixed overhead per op and value', () => {
    const small = writerItemBytes({ kind: 'ops', ops: [upsert('a')] });
    const large = writerItemBytes({ kind: 'ops', ops: [upsert('a'.repeat(1001))] });
    expect(large - small).toBe(1000);
    expect(writerItemBytes({ kind: 'ops', ops: [upsert('a'), upsert('a')] })).toBe(2 * small - ITEM_OVERHEAD_BYTES);
  });
});

describe('WriterQueue.waitForItem', () => {
  it('leaves nothing on the round signal after each wait (it would grow with the backlog)', async () => {
    const q = queue(1 * MiB);
    const round = new AbortController();
    for (let i = 0; i < 1_000; i += 1) {
      const waiting = q.waitForItem(round.signal);
      q.push(begin(i));
      await waiting;
      expect(q.take()?.kind).toBe('begin');
    }
    expect(getEventListeners(round.signal, 'abort')).toHaveLength(0);
    const waiting = q.waitForItem(round.signal);
    round.abort();
    await waiting;
    expect(getEventListeners(round.signal, 'abort')).toHaveLength(0);
  });
});
