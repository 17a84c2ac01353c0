import type { ServiceDefinition } from '../service-definition.js';
import { userInverses } from './inverse.js';
import { userMappings } from './mapping.js';
import { tables } from './schema.js';

/** user_db (monolith.md, "user_db"): its tables, the mappings into them and their inverses. */
export const userService: ServiceDefinition = { tables, mappings: userMappings, inverses: userInverses };
