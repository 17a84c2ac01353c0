import { PgcarveError } from '../errors/pgcarve-error.js';
import { REVERSE_ORIGIN_PREFIX } from '../source/wal-messages.js';
import type { ServiceName } from '../../mappings/services.js';


/** The prefix of fences written into a service database's WAL (pg_logical_emit_message). */
export const REVERSE_FENCE_PREFIX = 'pgcarve.reverse-fence';

/**
 * The names of one service's reverse stream, derived from the forward slot so that two pgcarve
 * deployments never share them: the logical slot and publication on the service database, and the
 * replication origin on the legacy database that marks what the reverse stream wrote.
 */
export interface ReverseNames {
  readonly slot: string;
  readonly publication: string;
  readonly origin: string;
}

const NAME = /^[a-z_][a-z0-9_]*$/;

export function reverseNames(forwardSlot: string, service: ServiceName): ReverseNames {
  const names = {
    slot: `${forwardSlot}_rev_${service}`,
    publication: `${forwardSlot}_rev_${service}`,
    origin: `${REVERSE_ORIGIN_PREFIX}_${forwardSlot}_${service}`,
  };
  for (const name of Object.values(names)) {
    if (!NAME.test(name) || name.length > 63) {
      throw new PgcarveError('configuration', `the reverse replication name ${name} (from PGCARVE_SLOT) must match ^[a-z_][a-z0-9_]*$ and have at most 63 characters: choose a shorter PGCARVE_SLOT`);
    }
  }
  return names;
}
