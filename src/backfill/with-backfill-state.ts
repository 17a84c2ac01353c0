import type pg from 'pg';
import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { withService } from '../pg/with-service.js';
import type { ServiceName } from '../../mappings/services.js';

/** Runs `f` on a short-lived connection to `service`; its failures are about the backfill state there. */
export async function withBackfillState(config: Pick<Config, 'serviceUrls'>, service: ServiceName, f: (client: pg.Client) => Promise<void>): Promise<void> {
  const doing = `backfill state in ${service}`;
  await withService(config, service, { doing }, f).catch((error: unknown) => {
    throw classify(error, doing);
  });
}
