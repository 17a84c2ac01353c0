import { aiResearchService } from './ai-research/index.js';
import { documentService } from './document/index.js';
import { freezoneService } from './freezone/index.js';
import type { InverseMapping } from './inverse-mapping.js';
import { scraperService } from './scraper/index.js';
import type { ServiceDefinition } from './service-definition.js';
import { SERVICES, type ServiceName } from './services.js';
import type { LegacyTableRule } from './table-mapping.js';
import { userService } from './user/index.js';

/** Every service folder, by the service it defines (SERVICE_LIST names them). */
export const SERVICE_DEFINITIONS: Readonly<Record<ServiceName, ServiceDefinition>> = {
  user_db: userService,
  document_db: documentService,
  freezone_db: freezoneService,
  ai_research_db: aiResearchService,
  scraper_db: scraperService,
};

/**
 * The rule for every legacy table (monolith.md): each of the 19 tables exactly once, either mapped
 * to its service databases or excluded with the reason operators see in status and verify.
 */
export const LEGACY_RULES: readonly LegacyTableRule[] = [
  ...SERVICES.flatMap((service) => SERVICE_DEFINITIONS[service].mappings),
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

/**
 * The inverse mapping of every owned service table (reverse replication after cutover: the
 * service's writes carried back into the legacy tables). `inverses.test.ts` checks there is
 * exactly one for every owned target of LEGACY_RULES, and none for reference tables.
 */
export const INVERSE_MAPPINGS: readonly InverseMapping[] = SERVICES.flatMap((service) => SERVICE_DEFINITIONS[service].inverses);
