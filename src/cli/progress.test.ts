import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { LogProgress, progressOutput } from './progress-log.js';
import { ProgressMeter } from './progress-meter.js';
import { formatCount, formatDuration, renderBars, TerminalProgress } from './progress-terminal.js';

const ESC = '\u001b[';

function fakeTerminal(columns = 120): { write: (t: string) => void; columns: number; isTTY: true; text: () => string } {
  let text = '';
  return { write: (t: string) => void (text += t), columns, isTTY: true, text: () => text };
}

describe('ProgressMeter', () => {
  it('computes the rate over recent samples, the ETA, and a ratio that reaches 1 only when copied', () => {
    let now = 0;
    const meter = new ProgressMeter(() => now);
    meter.stateChanged('user_db', 'users', 'copying');
    now = 1_000;
    meter.progress('user_db', 'users', 1_000, 4_000);
    now = 2_000;
    meter.progress('user_db', 'users', 2_000, 4_000);
    const [p] = meter.tables();
    expect(p).toMatchObject({ rowsDone: 2_000, rowsEstimated: 4_000, rate: 1_000, etaSeconds: 2 });
    expect(ProgressMeter.ratio(p as NonNullable<typeof p>)).toBe(0.5);
    meter.progress('user_db', 'users', 5_000, 4_000); // the estimate was low
    expect(ProgressMeter.ratio(meter.tables()[0] as NonNullable<typeof p>)).toBe(0.99);
    meter.stateChanged('user_db', 'users', 'copied');
    expect(meter.tables()[0]).toMatchObject({ etaSeconds: undefined });
    expect(ProgressMeter.ratio(meter.tables()[0] as NonNullable<typeof p>)).toBe(1);
  });
});

describe('renderBars', () => {
  it.each([
    [0, '0:00'],
    [59.2, '1:00'],
    [3_725, '1:02:05'],
    [undefined, '--:--'],
  ])('formatDuration(%s) = %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('formats counts with thousands separators', () => expect(formatCount(1_234_567)).toBe('1,234,567'));

  it('draws a header and one bar per table, never wider than the terminal', () => {
    const lines = renderBars(
      [
        { service: 'document_db', table: 'documents', state: 'copying', rowsDone: 250, rowsEstimated: 1_000, rate: 50, etaSeconds: 15 },
        { service: 'user_db', table: 'users', state: 'copied', rowsDone: 10, rowsEstimated: 9, rate: 0, etaSeconds: undefined },
        { service: 'user_db', table: 'roles', state: 'pending', rowsDone: 0, rowsEstimated: 0, rate: 0, etaSeconds: undefined },
      ],
      80,
    );
    expect(lines[0]).toBe('backfill: 1/3 tables done, 260 rows, 50 rows/s');
    expect(lines[1]).toMatch(/^documents → document_db +\[█+░+\]  25%  250\/1,000 rows  50 rows\/s  ETA 0:15$/);
    expect(lines[2]).toMatch(/^users → user_db +\[█+\] done  10 rows$/);
    expect(lines[3]).toMatch(/roles → user_db +\[░+\] waiting/);
    for (const line of lines) expect(line.length).toBeLessThan(80);
  });
});

describe('TerminalProgress', () => {
  it('redraws in place and keeps log lines above the bars', () => {
    const term = fakeTerminal();
    const display = new TerminalProgress(term, 1_000_000);
    display.stateChanged('user_db', 'users', 'copying');
    display.progress('user_db', 'users', 10, 100);
    display.draw();
    expect(term.text()).not.toContain(`${ESC}2F`); // first drawing: nothing to go back over
    display.progress('user_db', 'users', 20, 100);
    display.draw();
    expect(term.text()).toContain(`${ESC}2F`); // back over the header and the bar
    const before = term.text().length;
    display.writeAbove('{"msg":"a log line"}\n');
    const after = term.text().slice(before);
    expect(after.startsWith(`${ESC}2F${ESC}J{"msg":"a log line"}\n`)).toBe(true);
    expect(after).toContain('users → user_db');
    display.finished();
  });
});

describe('LogProgress and progressOutput', () => {
  it('logs one structured line per table in progress at most every interval, and never a bar', () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new LogProgress(createLogger('info', (l) => void lines.push(l)), 10_000, () => now);
    progress.stateChanged('scraper_db', 'activity_logs', 'copying');
    now = 5_000;
    progress.progress('scraper_db', 'activity_logs', 500, 1_000);
    now = 10_000;
    progress.progress('scraper_db', 'activity_logs', 1_000, 1_000);
    now = 12_000;
    progress.progress('scraper_db', 'activity_logs', 1_100, 1_000);
    progress.stateChanged('scraper_db', 'activity_logs', 'copied');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.msg)).toEqual(['backfill: activity_logs → scraper_db copying', 'backfill progress', 'backfill: activity_logs → scraper_db done']);
    expect(records[1]).toMatchObject({ service: 'scraper_db', table: 'activity_logs', rows_done: 1_000, rows_estimated: 1_000, ratio: 0.99, rows_per_second: 100 });
    expect(lines.join('')).not.toMatch(/[█░]|\u001b\[/u);
  });

  it('draws bars only on a TTY', () => {
    const tty = fakeTerminal();
    expect(progressOutput(tty, 'info').observer).toBeInstanceOf(TerminalProgress);
    const pipe = { ...fakeTerminal(), isTTY: false };
    expect(progressOutput(pipe, 'info').observer).toBeInstanceOf(LogProgress);
  });
});
