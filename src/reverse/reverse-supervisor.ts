import type { InverseMapping } from '../../mappings/inverse-mapping.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { pause } from '../pause.js';
import { reverseNames } from './reverse-names.js';
import { ReverseStream, type ReverseObserver, type ReverseProgress } from './reverse-stream.js';
import { readDirection, type ServiceDirection } from './service-direction.js';
import { withClient } from '../pg/with-client.js';

export interface ReverseSupervisorOptions {
  readonly config: Config;
  /** Every inverse mapping; each service's stream applies its own. */
  readonly inverses: readonly InverseMapping[];
  readonly log: Logger;
  readonly observer?: ReverseObserver;
  /** How often each service database's cutover state is read. */
  readonly pollIntervalMs?: number;
  readonly backoffMs?: readonly [number, number];
}

interface Running {
  readonly stream: ReverseStream;
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/**
 * Runs a reverse stream for every cut-over service, beside the forward sidecar: it reads each
 * service database's seal (`pgcarve.cutover`) and reverse slot every `pollIntervalMs`, starts
 * the stream of a service that is cut over and has its slot, and stops it once the service is
 * rolled back or its slot is gone (`pgcarve rollback` lifts the seal, then drops the slot).
 * A stream an operator error stopped stays stopped until pgcarve restarts.
 */
export class ReverseSupervisor {
  private readonly running = new Map<ServiceName, Running>();
  private readonly directions = new Map<ServiceName, ServiceDirection>();

  constructor(private readonly options: ReverseSupervisorOptions) {}

  /** The reverse streams running now (cut-over services only). */
  snapshot(): readonly ReverseProgress[] {
    return SERVICES.flatMap((service) => {
      const running = this.running.get(service);
      return running ? [running.stream.progress()] : [];
    });
  }

  direction(service: ServiceName): ServiceDirection | undefined {
    return this.directions.get(service);
  }

  async run(signal: AbortSignal): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 2_000;
    while (!signal.aborted) {
      await Promise.all(SERVICES.map((service) => this.reconcile(service, signal)));
      await pause(interval, signal);
    }
    await Promise.all([...this.running.values()].map((r) => (r.controller.abort(), r.done)));
    this.running.clear();
  }

  private async reconcile(service: ServiceName, signal: AbortSignal): Promise<void> {
    const { config } = this.options;
    const names = reverseNames(config.slot, service);
    let wanted: boolean;
    try {
      wanted = await withClient(config.serviceUrls[service], { doing: `reading the direction of ${service}`, application: 'pgcarve-reverse-watch', connectTimeoutMs: 5_000 }, async (client) => {
        const direction = await readDirection(client, config.slot);
        this.directions.set(service, direction);
        const slot = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot]);
        return direction.kind === 'cut-over' && (slot.rowCount ?? 0) > 0;
      });
    } catch {
      // The database is unreachable: leave the stream as it is (it has its own reconnects).
      return;
    }
    const running = this.running.get(service);
    if (wanted && !running && !signal.aborted) {
      const controller = new AbortController();
      const stream = new ReverseStream({
        service,
        legacyUrl: config.legacyUrl,
        serviceUrl: config.serviceUrls[service],
        names,
        inverses: this.options.inverses.filter((i) => i.service === service),
        log: this.options.log.child({ service, direction: 'reverse' }),
        ...(this.options.observer ? { observer: this.options.observer } : {}),
        ...(this.options.backoffMs ? { backoffMs: this.options.backoffMs } : {}),
      });
      this.options.log.info(`${service} is cut over: starting its reverse replication into the legacy tables`, { service });
      this.running.set(service, { stream, controller, done: stream.run(controller.signal) });
    } else if (!wanted && running) {
      this.options.log.info(`${service} is no longer cut over: stopping its reverse replication`, { service });
      running.controller.abort();
      await running.done;
      this.running.delete(service);
    }
  }
}
