import type { ServiceDefinition } from '../service-definition.js';
import { scraperInverses } from './inverse.js';
import { scraperMappings } from './mapping.js';
import { tables } from './schema.js';

/** scraper_db (monolith.md, "scraper_db"): its tables, the mappings into them and their inverses. */
export const scraperService: ServiceDefinition = { tables, mappings: scraperMappings, inverses: scraperInverses };
