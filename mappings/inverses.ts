import type { InverseMapping } from '../src/reverse/inverse-mapping.js';
import { aiResearchInverses } from './ai-research/inverse.js';
import { documentInverses } from './document/inverse.js';
import { freezoneInverses } from './freezone/inverse.js';
import { scraperInverses } from './scraper/inverse.js';
import { userInverses } from './user/inverse.js';

/**
 * The inverse mapping of every owned service table (reverse replication after cutover: the
 * service's writes carried back into the legacy tables). `inverses.test.ts` checks there is
 * exactly one for every owned target of LEGACY_RULES, and none for reference tables.
 */
export const INVERSE_MAPPINGS: readonly InverseMapping[] = [...userInverses, ...documentInverses, ...freezoneInverses, ...aiResearchInverses, ...scraperInverses];
