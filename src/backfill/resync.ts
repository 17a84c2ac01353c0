import type { Config } from '../config/config.js';
import { readCutOver } from '../state/cutover-marker.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { deriveUpsert } from '../router/derive-ops.js';
import type { TextValue } from '../values.js';
import type { RoutedTable, RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { markPending } from '../state/backfill-state.js';
import { LegacyRowFactory } from '../source/legacy-row.js';
import { connectLegacyText, legacyColumns } from './legacy-session.js';
import { withStates } from './repair.js';

export interface ResyncOptions {
  readonly config: Pick<Config, 'legacyUrl' | 'serviceUrls' | 'slot'>;
  readonly routing: RoutingTable;
  readonly table: string;
}

export interface ResyncReport {
  readonly table: string;
  readonly services: readonly ServiceName[];
  /** A sidecar streams the slot now: it copies the table only when it starts again. */
  readonly slotActive: boolean;
}

/**
 * `pgcarve backfill --resync --table T`: marks T `pending` in every service database it feeds, so
 * that the next `pgcarve run` empties its owned target rows and copies it on a fresh snapshot at F,
 * the floor below which the stream drops T's changes there (backfill.ts, step 3). This is the way
 * out of a change the stream can never map, such as one decoded while a column the mapping reads
 * was dropped: that change committed before F, so it is dropped, and the copy holds the table as
 * it is at F. Every service the table feeds is marked, because one mapping run derives the rows of
 * all of them (a change that fails to map stops every one). Needs only the databases, not the
 * sidecar; a running sidecar acts on it when it next starts.
 *
 * First, one legacy row is mapped as the copy will map it: a mapping that still reads a column the
 * table lacks is refused now, with what to do, rather than by the next start.
 */
export async function resync(options: ResyncOptions): Promise<ResyncReport> {
  const { config, routing, table } = options;
  const routed = routing.bySource.get(table);
  if (!routed) throw new PgcarveError('bad_input', `no mapping reads legacy table ${table}`);
  const slotActive = await probeLegacy(options, routed);
  await withStates(config, routed.services, async (client, service) => {
    if ((await readCutOver(client, config.slot)) !== undefined) {
      throw new PgcarveError('bad_input', `${service} was cut over: its database is the source of truth for ${table}'s rows, and a copy from the legacy database would overwrite them; roll the cutover back first`);
    }
  });
  // Marked only once every service was checked, so that a refusal leaves nothing half marked.
  await withStates(config, routed.services, (client) => markPending(client, config.slot, table));
  return { table, services: routed.services, slotActive };
}

/** Maps one legacy row of the table (throws `column_missing` as the copy would); whether the slot has a consumer. */
async function probeLegacy(options: ResyncOptions, routed: RoutedTable): Promise<boolean> {
  const { config, routing, table } = options;
  const legacy = await connectLegacyText(config.legacyUrl, 'pgcarve backfill --resync');
  try {
    const columns = (await legacyColumns(legacy, table)).map((c) => c.name);
    if (columns.length === 0) throw new PgcarveError('bad_input', `legacy table public.${table} does not exist: create it (or remove its mapping) first`);
    const sample = await legacy.query<TextValue[]>({ text: `SELECT ${columns.map((c) => legacy.escapeIdentifier(c)).join(', ')} FROM public.${legacy.escapeIdentifier(table)} LIMIT 1`, rowMode: 'array' });
    const values = sample.rows[0];
    if (values) {
      try {
        deriveUpsert(routing, routed, new LegacyRowFactory(table, columns).row(values), undefined, 'insert', () => undefined);
      } catch (error) {
        if (error instanceof PgcarveError && error.kind === 'column_missing') {
          throw new PgcarveError('column_missing', `${error.message.replace(/: restore the column.*$/, '')}: add the column back (ALTER TABLE public.${table} ADD COLUMN ...) or change the mapping, then run this again`, { cause: error });
        }
        throw error;
      }
    }
    const slot = await legacy.query<{ active: string }>('SELECT active::text AS active FROM pg_replication_slots WHERE slot_name = $1', [config.slot]);
    return slot.rows[0]?.active === 'true';
  } catch (error) {
    throw classify(error, `checking legacy table ${table}`);
  } finally {
    await legacy.end().catch(() => undefined);
  }
}

