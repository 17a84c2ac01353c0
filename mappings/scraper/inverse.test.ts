import { describe, expect, it } from 'vitest';
import { expectRoundTrip, legacyRowOf, TRAPS } from '../../test/mappings/inverse-round-trip.js';
import { activityLogs, scraperResults, scraperSchedules, scraperTasks } from './schema.js';

describe('scraper_db inverse mappings: forward(inverse(rows)) = rows', () => {
  it('the scraper tables 1:1', () => {
    expectRoundTrip([{ table: scraperTasks, row: { id: '1', url: 'https://x', free_zone_id: null, kind: 'page', status: 'ok', created_at: TRAPS.micros, updated_at: TRAPS.bc } }]);
    expectRoundTrip([{ table: scraperResults, row: { id: TRAPS.bigint, task_id: '1', http_status: '200', content: TRAPS.unicode, extracted: TRAPS.json, scraped_at: TRAPS.infinity } }]);
    expectRoundTrip([{ table: scraperSchedules, row: { id: '1', task_id: '1', cron: '*/5 * * * *', enabled: 'f', next_run_at: null } }]);
  });

  it('activity_logs of a scraper entity 1:1', () => {
    expectRoundTrip([{ table: activityLogs, row: { id: TRAPS.bigint, actor_user_id: null, action: 'run', entity: 'scraper_task', entity_id: TRAPS.unicode, details: TRAPS.json, created_at: TRAPS.micros } }]);
  });

  it('an activity log whose entity is not a scraper one goes back, but does not come forward again (documented)', () => {
    const row = { id: '1', actor_user_id: '1', action: 'x', entity: 'user', entity_id: null, details: null, created_at: null };
    expect(legacyRowOf([{ table: activityLogs, row }]).row).toEqual(row);
    expect(() => expectRoundTrip([{ table: activityLogs, row }])).toThrow();
  });
});
