import { emit, owned, type TableMapping } from '../table-mapping.js';
import { keyColumn, need, utcTimestamptz } from '../transforms.js';
import { activityLogs, scraperResults, scraperSchedules, scraperTasks } from './schema.js';

/**
 * scraper_db (monolith.md): the scraper tables 1:1, and the activity log rows whose entity is
 * like 'scraper%'. SQL LIKE is case-sensitive, hence `startsWith`; a row whose entity stops
 * matching produces nothing, and the engine deletes the target row it had.
 */

const scraperTasksTarget = owned('scraper_db', scraperTasks, (key) => ({ id: keyColumn(key, 'id') }));
const scraperResultsTarget = owned('scraper_db', scraperResults, (key) => ({ id: keyColumn(key, 'id') }));
const scraperSchedulesTarget = owned('scraper_db', scraperSchedules, (key) => ({ id: keyColumn(key, 'id') }));
const activityLogsTarget = owned('scraper_db', activityLogs, (key) => ({ id: keyColumn(key, 'id') }));

export const scraperMappings: readonly TableMapping[] = [
  {
    kind: 'mapped',
    source: 'scraper_tasks',
    sourceKey: ['id'],
    targets: [scraperTasksTarget],
    map: (row) => [
      emit(scraperTasksTarget, {
        id: row.id,
        url: row.url,
        free_zone_id: row.free_zone_id,
        kind: row.kind,
        status: row.status,
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'scraper_results',
    sourceKey: ['id'],
    targets: [scraperResultsTarget],
    map: (row) => [
      emit(scraperResultsTarget, {
        id: row.id,
        task_id: row.task_id,
        http_status: row.http_status,
        content: row.content,
        extracted: row.extracted,
        scraped_at: utcTimestamptz(row.scraped_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'scraper_schedules',
    sourceKey: ['id'],
    targets: [scraperSchedulesTarget],
    map: (row) => [
      emit(scraperSchedulesTarget, {
        id: row.id,
        task_id: row.task_id,
        cron: row.cron,
        enabled: row.enabled,
        next_run_at: utcTimestamptz(row.next_run_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'activity_logs',
    sourceKey: ['id'],
    targets: [activityLogsTarget],
    map: (row) => {
      const entity = need(row, 'entity', 'activity_logs');
      if (entity === null || !entity.startsWith('scraper')) return [];
      return [
        emit(activityLogsTarget, {
          id: row.id,
          actor_user_id: row.actor_user_id,
          action: row.action,
          entity,
          entity_id: row.entity_id,
          details: row.details,
          created_at: utcTimestamptz(row.created_at),
        }),
      ];
    },
  },
];
