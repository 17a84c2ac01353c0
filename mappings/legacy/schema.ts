import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/**
 * The 19 tables of the legacy monolith, in schema public (monolith.md). Every one is either
 * mapped or explicitly excluded by the mappings.
 */
export const LEGACY_TABLES = [
  'roles',
  'users',
  'sessions',
  'free_zones',
  'business_activities',
  'establishment_guides',
  'documents',
  'template_submissions',
  'business_setup',
  'conversations',
  'messages',
  'assistant_memory',
  'ai_training_data',
  'research_topics',
  'web_research_items',
  'scraper_tasks',
  'scraper_results',
  'scraper_schedules',
  'activity_logs',
] as const;

export type LegacyTableName = (typeof LEGACY_TABLES)[number];

/**
 * The DDL that creates the legacy tables on a fresh database (mappings/legacy/schema.sql), for
 * tests, the demo and the benchmark. The file is read from the package root, so this works from
 * source and from the build alike.
 */
export function legacySchemaSql(): string {
  return readFileSync(join(packageRoot(), 'mappings', 'legacy', 'schema.sql'), 'utf8');
}
