import { describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { parseLsn } from '../lsn.js';
import { sealedWriteReporter } from './sealed-writes.js';

describe('the report of held legacy changes', () => {
  it('counts each change, logs table and LSN at most every 10 s, and skips replayed transactions', () => {
    const lines: string[] = [];
    const log = { warn: (m: string) => lines.push(m) } as unknown as Logger;
    const counted: string[] = [];
    let clock = 0;
    const report = sealedWriteReporter(log, { legacyWriteAfterCutover: (s, t, l) => counted.push(`${s}.${t}@${l}`) }, () => clock);
    report('freezone_db', 'free_zones', parseLsn('0/100'));
    report('freezone_db', 'free_zones', parseLsn('0/100'));
    report('freezone_db', 'free_zones', parseLsn('0/200'));
    clock = 10_000;
    report('freezone_db', 'free_zones', parseLsn('0/300'));
    report('freezone_db', 'free_zones', parseLsn('0/50'));
    expect(counted).toHaveLength(4);
    expect(lines).toEqual([
      '1 legacy change(s) to free_zones, the last committed at 0/100, after freezone_db was cut over: not applied to freezone_db; find and stop the writer (runbook PgcarveLegacyWriteAfterCutover)',
      '3 legacy change(s) to free_zones, the last committed at 0/300, after freezone_db was cut over: not applied to freezone_db; find and stop the writer (runbook PgcarveLegacyWriteAfterCutover)',
    ]);
  });
});
