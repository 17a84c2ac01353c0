import { describe, expect, test } from 'vitest';
import { formatBytes } from '../../src/bytes.js';
import { LiveView, renderFrame, renderPlain, type DemoFrame } from '../../tools/demo/live-view.js';

const frame: DemoFrame = {
  elapsedSeconds: 42,
  stage: 'streaming',
  legacy: { tps: 19.96, transactions: 812, errors: 0, frozenTables: [] },
  backfill: [{ service: 'user_db', tables: 2, tablesDone: 2, rowsDone: 606, rowsEstimated: 600 }],
  services: [
    { service: 'user_db', state: 'running', lagBytes: 0, lagSeconds: 0, tps: 4.2, rows: [{ table: 'users', rows: 1_234 }, { table: 'user_profiles', rows: 1_234 }], drift: { kind: 'clean', ageSeconds: 3 } },
    { service: 'scraper_db', state: 'stopped: constraint', lagBytes: 2_500_000, lagSeconds: 12.34, tps: 0, rows: undefined, drift: { kind: 'drift', rows: 3 } },
  ],
  warnings: 0,
  lastWarning: undefined,
  hint: undefined,
};

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 kB'],
    [2_500_000, '2.4 MB'],
  ])('%d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('rendering', () => {
  test('the plain block says lag, tx/s, drift and rows per service', () => {
    expect(renderPlain(frame)).toEqual([
      '[  42s] streaming: legacy workload 20.0 tx/s, 812 transactions, 0 failed',
      '  user_db         lag 0 B / 0.0 s, 4.2 tx/s, drift 0 rows (3 s ago), rows: users 1,234 · user_profiles 1,234',
      '  scraper_db      lag 2.4 MB / 12.3 s, 0.0 tx/s, drift 3 ROWS, rows: … [stopped: constraint]',
    ]);
  });

  test('the terminal frame has a full backfill bar and wraps rows to the width', () => {
    expect(renderFrame(frame, 100).find((l) => l.startsWith('backfill user_db'))).toContain('100%  2/2 tables  606 rows');
    expect(renderFrame(frame, 100)).toContain('user_db         users 1,234 · user_profiles 1,234');
    const narrow = renderFrame(frame, 40);
    expect(narrow).toContain('user_db         users 1,234');
    expect(narrow).toContain('                user_profiles 1,234');
  });
});

describe('LiveView', () => {
  test('on a terminal it redraws in place and keeps event lines above the frame', () => {
    let out = '';
    const view = new LiveView({ write: (t: string) => (out += t), isTTY: true, columns: 100 });
    view.update(frame);
    const height = renderFrame(frame, 99).length;
    view.update(frame);
    expect(out).toContain(`\x1b[${height}A\r\x1b[0J`);
    view.event('backfill done');
    expect(out).toMatch(/\x1b\[\d+A\r\x1b\[0Jbackfill done\n/);
    view.close();
    expect(out.endsWith('\x1b[?25h')).toBe(true);
  });

  test('elsewhere it prints a plain block at most every interval, without control codes', () => {
    let now = 0;
    let out = '';
    const view = new LiveView({ write: (t: string) => (out += t) }, 5_000, () => now);
    now = 5_000;
    view.update(frame);
    now = 6_000;
    view.update(frame);
    now = 10_000;
    view.update(frame);
    expect(out.split('[  42s]').length - 1).toBe(2);
    expect(out).not.toContain('\x1b');
  });
});
