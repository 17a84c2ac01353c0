import { describe, expect, it } from 'vitest';
import { adoptable, owedCopies, type ServiceRecord } from './backfill-holes.js';
import { parseLsn } from '../lsn.js';
import type { BackfillState } from '../state/backfill-state.js';

const common = { rowsCopied: 0, rowsEstimated: undefined, updatedAt: new Date(0) };
const nothing = (table: string): BackfillState => ({ ...common, table, kind: 'copied', attempts: 0, snapshotLsn: undefined, startedAt: undefined, finishedAt: new Date(0) });
const copied = (table: string): BackfillState => ({ ...common, table, kind: 'copied', attempts: 1, snapshotLsn: parseLsn('0/100'), startedAt: new Date(0), finishedAt: new Date(0) });
const pending = (table: string): BackfillState => ({ ...common, table, kind: 'pending', attempts: 0 });
const record = (hasCheckpoint: boolean, states: readonly BackfillState[], cutOver = false): ServiceRecord => ({ cutOver, hasCheckpoint, states: new Map(states.map((s) => [s.table, s])) });

describe('adoptable', () => {
  it.each([
    ['no state anywhere (a slot without a plan): every service', [record(false, []), record(true, [])], [true, true]],
    ['adoption stopped half way: the services with a checkpoint and no state', [record(true, [nothing('a')]), record(true, [])], [false, true]],
    ['a service without a checkpoint beside nothing-to-copy rows lost its state', [record(true, [nothing('a')]), record(false, [])], [false, false]],
    ['a service without state beside a real copy lost its state', [record(true, [copied('a')]), record(true, [])], [false, false]],
    ['a planned copy (pending) is a plan', [record(true, [pending('a')]), record(true, [])], [false, false]],
    ['a cut-over service is never adopted', [record(false, [], true), record(false, [])], [false, true]],
  ])('%s', (_, records, expected) => {
    expect(adoptable(records)).toEqual(expected);
  });
});

describe('owedCopies', () => {
  it.each([
    ['no checkpoint: every table', record(false, [copied('a'), copied('b')]), ['a', 'b'], [{ table: 'a', reason: 'no_checkpoint' }, { table: 'b', reason: 'no_checkpoint' }]],
    ['a table without a state row, and an unfinished one', record(true, [copied('a'), pending('c')]), ['a', 'b', 'c'], [{ table: 'b', reason: 'no_state' }, { table: 'c', reason: 'unfinished' }]],
    ['all copied: none', record(true, [copied('a'), nothing('b')]), ['a', 'b'], []],
    ['cut over: none', record(false, [], true), ['a'], []],
  ])('%s', (_, r, tables, expected) => {
    expect(owedCopies(r, tables)).toEqual(expected);
  });
});
