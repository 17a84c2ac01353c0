import type { ServiceDefinition } from '../service-definition.js';
import { aiResearchInverses } from './inverse.js';
import { aiResearchMappings } from './mapping.js';
import { tables } from './schema.js';

/** ai_research_db (monolith.md, "ai_research_db"): its tables, the mappings into them and their inverses. */
export const aiResearchService: ServiceDefinition = { tables, mappings: aiResearchMappings, inverses: aiResearchInverses };
