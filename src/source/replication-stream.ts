import type pg from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import { streamApplicationName } from './slot-holder.js';
import { formatLsn, parseLsn, type Lsn } from '../lsn.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { PgoutputDecoder } from './pgoutput-decoder.js';
import type { PgoutputEvent } from './pgoutput-events.js';

/**
 * What the stream delivers, in WAL order. `data` is awaited before the next one is read from the
 * socket (flow control), so a slow consumer slows the server's sending instead of filling memory.
 */
export interface StreamHandlers {
  /** One decoded pgoutput message. */
  readonly onEvent: (event: PgoutputEvent) => Promise<void> | void;
  /**
   * The server's WAL position, from keepalives and XLogData headers. `drained` is true when every
   * message before this keepalive has been handled: then nothing unseen is committed below `walEnd`.
   */
  readonly onWalEnd: (walEnd: Lsn, drained: boolean) => void;
}

export interface ReplicationStreamOptions {
  readonly connectionString: string;
  readonly slot: string;
  readonly publication: string;
  /** How often a status update asks the server for a keepalive (so idle positions advance). */
  readonly statusIntervalMs?: number;
}

/**
 * The one adapter over pg-logical-replication (the only place with untyped library internals).
 *
 * Built around the library's measured pitfalls: auto-acknowledgement and its timer are off
 * (`{ auto: false, timeoutSeconds: 0 }`) because they acknowledge *received* positions; the
 * position reported to the server is only ever the one given to `acknowledge()` (durably applied
 * everywhere), sent exactly as given (the library's own acknowledge adds one); values are decoded
 * by pgcarve's PgoutputDecoder (text kept as text); the start position is always explicit.
 */
export class ReplicationStream {
  private service: LogicalReplicationService | undefined;
  private acknowledged: Lsn | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStatusAt = 0;
  private stopRequested = false;
  private stopped: (() => void) | undefined;

  constructor(private readonly options: ReplicationStreamOptions) {}

  /**
   * Streams from `startLsn` until the connection ends or `stop()` is called. Resolves on stop,
   * rejects (with a classified PgcarveError) on any failure, including a throwing handler.
   */
  async run(startLsn: Lsn, handlers: StreamHandlers): Promise<void> {
    const decoder = new PgoutputDecoder();
    this.acknowledged = startLsn;
    this.stopRequested = false;
    const service = new LogicalReplicationService(
      {
        connectionString: this.options.connectionString,
        connectionTimeoutMillis: 10_000,
        keepAlive: true,
        // Names this process in pg_stat_activity, so that a second pgcarve can say who holds the slot.
        application_name: streamApplicationName(),
        // pgoutput prints values with the walsender session's settings: pin them, as PostgreSQL's
        // own subscriber does, so text is the same whatever the server's defaults.
        options: '-c datestyle=ISO,YMD -c intervalstyle=postgres -c extra_float_digits=3 -c TimeZone=UTC -c client_encoding=UTF8',
      } as ConstructorParameters<typeof LogicalReplicationService>[0],
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service = service;
    let finished = false;
    const connections = recordConnections(service, () => finished);
    let failed: ((error: unknown) => void) | undefined;
    const failure = new Promise<never>((_, reject) => (failed = reject));
    failure.catch(() => undefined);
    const stopped = new Promise<void>((resolve) => (this.stopped = resolve));
    const fail = (error: unknown): void => {
      failed?.(error);
    };
    service.on('error', fail);
    service.on('data', async (_lsn: string, event: PgoutputEvent) => {
      try {
        await handlers.onEvent(event);
      } catch (error) {
        // The library would log and go on with the next message; pgcarve stops the stream instead.
        fail(error);
        await service.stop().catch(() => undefined);
      }
    });
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      // The library's keepalive timestamp uses a wrong epoch: only the position is used.
      handlers.onWalEnd(parseLsn(lsn), this.queueDrained(service));
      if (shouldRespond) this.sendStatus(false);
    });
    service.on('start', () => {
      // stop() may have been called while the connection was still being set up.
      if (this.stopRequested) {
        void service.stop();
        return;
      }
      this.timer = setInterval(() => this.sendStatus(true), this.options.statusIntervalMs ?? 1_000);
    });
    const plugin = {
      parse: (payload: Buffer): PgoutputEvent => decoder.decode(payload),
      start: (client: { query: (sql: string) => Promise<unknown>; escapeIdentifier: (s: string) => string; escapeLiteral: (s: string) => string }, slot: string, lsn: string) =>
        client.query(
          `START_REPLICATION SLOT ${client.escapeIdentifier(slot)} LOGICAL ${lsn} (proto_version '1', publication_names ${client.escapeLiteral(client.escapeIdentifier(this.options.publication))}, messages 'true')`,
        ),
    };
    try {
      const subscribed = service.subscribe(plugin as never, this.options.slot, formatLsn(startLsn));
      subscribed.catch(() => undefined);
      await Promise.race([subscribed, failure, stopped]);
      // subscribe() resolves when the COPY ends: by stop(), or by the server closing it.
      if (!this.stopRequested && !service.isStop()) throw new PgcarveError('connection_lost', 'the legacy server ended the replication stream');
    } catch (error) {
      if (this.stopRequested) return;
      throw classify(error, `replication stream of slot ${this.options.slot}`);
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.stopped = undefined;
      // The library's stop can wait on a connection still being set up: do not hang on it.
      await Promise.race([service.destroy().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      // A stop that raced with the library's connection set-up can leave the new connection open
      // with every listener removed: it would hold the slot, and its end would crash the process.
      finished = true;
      for (const client of connections) {
        client.on('error', () => undefined);
        await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      }
      if (this.service === service) this.service = undefined;
    }
  }

  /**
   * Reports `lsn` to the server as written, flushed and applied: the slot's confirmed position
   * moves there, and WAL before it may be removed. Only durably applied positions belong here.
   */
  acknowledge(lsn: Lsn): void {
    if (this.acknowledged !== undefined && lsn <= this.acknowledged) return;
    this.acknowledged = lsn;
    this.sendStatus(false);
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.stopped?.();
    await this.service?.stop();
  }

  private queueDrained(service: LogicalReplicationService): boolean {
    const internals = service as unknown as { _messageQueue?: unknown[]; _processing?: boolean };
    return (internals._messageQueue?.length ?? 0) === 0 && internals._processing !== true;
  }

  /** A standby status update ('r'); `requestReply` asks the server for an immediate keepalive. */
  private sendStatus(requestReply: boolean): void {
    const service = this.service;
    const position = this.acknowledged;
    if (!service || service.isStop() || position === undefined) return;
    const now = Date.now();
    if (requestReply && now - this.lastStatusAt < (this.options.statusIntervalMs ?? 1_000) / 2) return;
    this.lastStatusAt = now;
    const message = Buffer.alloc(34);
    message[0] = 0x72; // 'r'
    message.writeBigUInt64BE(position, 1); // written
    message.writeBigUInt64BE(position, 9); // flushed
    message.writeBigUInt64BE(position, 17); // applied
    message.writeBigInt64BE(BigInt(now - 946_684_800_000) * 1000n, 25); // µs since 2000-01-01
    message[33] = requestReply ? 1 : 0;
    const connection = (service as unknown as { _connection?: { sendCopyFromChunk?: (b: Buffer) => void } })._connection;
    connection?.sendCopyFromChunk?.(message);
  }
}

/**
 * Every replication client the library creates for `service`, seen as it is assigned (the library
 * keeps its current one in `_client`), so that each can be closed when the run ends: one whose
 * set-up raced with a stop can be left connecting with every listener removed (the library's
 * stop), holding the slot, and its eventual end would crash the process. One assigned once the
 * run has `finished` is closed at once.
 */
function recordConnections(service: LogicalReplicationService, finished: () => boolean): readonly pg.Client[] {
  const clients: pg.Client[] = [];
  let current: pg.Client | null = null;
  Object.defineProperty(service, '_client', {
    configurable: true,
    get: () => current,
    set: (client: pg.Client | null) => {
      current = client;
      if (!client) return;
      clients.push(client);
      client.on('error', () => undefined);
      if (finished()) void client.end().catch(() => undefined);
    },
  });
  return clients;
}
