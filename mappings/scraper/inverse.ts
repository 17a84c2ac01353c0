import type { InverseMapping } from '../inverse-mapping.js';
import { oneToOne } from '../inverse-transforms.js';
import { activityLogs, scraperResults, scraperSchedules, scraperTasks } from './schema.js';

/**
 * scraper_db back to legacy (the inverse of mapping.ts): every table 1:1. An activity log row the
 * service writes with an entity not like 'scraper%' reaches legacy `activity_logs`, but the
 * forward mapping filters it out again: the forward drift check then reports it as extra.
 */
export const scraperInverses: readonly InverseMapping[] = [
  oneToOne('scraper_db', scraperTasks, 'scraper_tasks', ['created_at', 'updated_at']),
  oneToOne('scraper_db', scraperResults, 'scraper_results', ['scraped_at']),
  oneToOne('scraper_db', scraperSchedules, 'scraper_schedules', ['next_run_at']),
  oneToOne('scraper_db', activityLogs, 'activity_logs', ['created_at']),
];
