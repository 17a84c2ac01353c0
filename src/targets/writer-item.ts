import type { Lsn } from '../lsn.js';
import type { PgcarveError } from '../errors/pgcarve-error.js';
import type { TargetOp } from './target-op.js';

/**
 * What the router sends each target writer, in source commit order. Every source transaction
 * reaches every writer as begin … commit, also when it has no ops for that service, so that each
 * writer's position follows the source.
 */
export type WriterItem =
  | { readonly kind: 'begin'; readonly finalLsn: Lsn; readonly commitTimeMs: number }
  | { readonly kind: 'ops'; readonly ops: readonly TargetOp[] }
  | { readonly kind: 'commit'; readonly endLsn: Lsn; readonly commitTimeMs: number; readonly fence: boolean }
  /** Everything the source committed below `lsn` has been sent (keepalive after a drained queue). */
  | { readonly kind: 'idle'; readonly lsn: Lsn }
  /** The router could not derive this service's ops (a mapping threw): stop the writer. */
  | { readonly kind: 'fail'; readonly error: PgcarveError };
