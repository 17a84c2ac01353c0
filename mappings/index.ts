import type { LegacyTableRule } from '../src/router/mapping.js';
import { aiResearchMappings } from './ai-research/mapping.js';
import { documentMappings } from './document/mapping.js';
import { freezoneMappings } from './freezone/mapping.js';
import { scraperMappings } from './scraper/mapping.js';
import { userMappings } from './user/mapping.js';

/**
 * The rule for every legacy table (monolith.md): each of the 19 tables exactly once, either mapped
 * to its service databases or excluded with the reason operators see in status and verify.
 */
export const LEGACY_RULES: readonly LegacyTableRule[] = [
  ...userMappings,
  ...documentMappings,
  ...freezoneMappings,
  ...aiResearchMappings,
  ...scraperMappings,
  {
    kind: 'excluded',
    source: 'sessions',
    reason: 'sessions are ephemeral: users log in again after cutover, which re-creates them',
  },
  {
    kind: 'excluded',
    source: 'business_setup',
    reason: 'the migration strategy names no target for business_setup',
  },
];
