import type { ServiceDefinition } from '../service-definition.js';
import { freezoneInverses } from './inverse.js';
import { freezoneMappings } from './mapping.js';
import { tables } from './schema.js';

/** freezone_db (monolith.md, "freezone_db"): its tables, the mappings into them and their inverses. */
export const freezoneService: ServiceDefinition = { tables, mappings: freezoneMappings, inverses: freezoneInverses };
