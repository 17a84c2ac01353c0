/**
 * The marks pgcarve writes into the legacy WAL for its own stream to meet in commit order: the
 * prefixes of its transactional logical messages (pg_logical_emit_message) and of the replication
 * origins its reverse streams tag their legacy transactions with.
 */

/** A fence (fence.ts): every service whose checkpoint passes it has applied all committed before. */
export const FENCE_PREFIX = 'pgcarve.fence';

/** One chunk of `pgcarve backfill`'s repair (chunk-message.ts). */
export const CHUNK_PREFIX = 'pgcarve.backfill';

/** Every replication origin pgcarve's reverse streams tag legacy transactions with starts so. */
export const REVERSE_ORIGIN_PREFIX = 'pgcarve_reverse';
