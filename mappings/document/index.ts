import type { ServiceDefinition } from '../service-definition.js';
import { documentInverses } from './inverse.js';
import { documentMappings } from './mapping.js';
import { tables } from './schema.js';

/** document_db (monolith.md, "document_db"): its tables, the mappings into them and their inverses. */
export const documentService: ServiceDefinition = { tables, mappings: documentMappings, inverses: documentInverses };
