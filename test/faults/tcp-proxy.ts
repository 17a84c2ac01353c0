import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of the test's own, on 127.0.0.1 (a random free port), in front of one upstream
 * address (the embedded PostgreSQL). Pointing a pgcarve URL at `port` puts that class of
 * connections behind it, so faults can be injected per class: `cutAll()` destroys every open
 * connection both ways (the peers see a reset, as after a network failure or an idle-connection
 * killer), `stall()` stops forwarding bytes without closing anything (a black-holed network; new
 * connections are accepted and held too) until `resume()`.
 *
 * Bounded: at most `maxConnections` at once (more are refused), loopback only (the upstream must
 * be a loopback address), and `close()` ends everything.
 */
export interface TcpProxyOptions {
  readonly upstreamPort: number;
  /** Default 127.0.0.1; only loopback addresses are accepted. */
  readonly upstreamHost?: string;
  /** Default 200. */
  readonly maxConnections?: number;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private resumed: (() => void) | undefined;
  private cutCount = 0;
  private acceptedCount = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: TcpProxyOptions,
  ) {}

  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const host = options.upstreamHost ?? '127.0.0.1';
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') throw new RangeError(`the test proxy forwards to loopback only, not to ${host}`);
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('the proxy got no port'));
      });
    });
    const proxy = new TcpProxy(server, port, options);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** A copy of `url` (postgres://…) with host and port replaced by this proxy's. */
  url(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Counters for the test's report: connections accepted and connections cut so far. */
  stats(): { readonly accepted: number; readonly cut: number; readonly open: number } {
    return { accepted: this.acceptedCount, cut: this.cutCount, open: this.pairs.size };
  }

  /** Destroys every open connection, both ways (a TCP reset where possible). Returns how many. */
  cutAll(): number {
    const pairs = [...this.pairs];
    for (const pair of pairs) this.drop(pair, true);
    this.cutCount += pairs.length;
    return pairs.length;
  }

  /**
   * Stops forwarding in both directions on every connection, open or new, without closing any;
   * forwarding resumes after `ms` or at `resume()`, whichever comes first. Resolves on resume.
   */
  stall(ms: number): Promise<void> {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream.pause();
    }
    const done = new Promise<void>((resolve) => {
      const previous = this.resumed;
      this.resumed = () => {
        previous?.();
        resolve();
      };
    });
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.resume(), ms);
    this.stallTimer.unref();
    return done;
  }

  /** Ends a stall: every connection forwards again (bytes held meanwhile are delivered). */
  resume(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.stalled = false;
    for (const { client, upstream } of this.pairs) {
      if (!client.writableNeedDrain) upstream.resume();
      if (!upstream.writableNeedDrain) client.resume();
    }
    const resumed = this.resumed;
    this.resumed = undefined;
    resumed?.();
  }

  /** Stops listening and destroys every connection. Idempotent. */
  async close(): Promise<void> {
    this.resume();
    for (const pair of [...this.pairs]) this.drop(pair, false);
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.pairs.size >= (this.options.maxConnections ?? 200)) {
      client.destroy();
      return;
    }
    this.acceptedCount += 1;
    client.pause();
    const upstream = createConnection({ host: this.options.upstreamHost ?? '127.0.0.1', port: this.options.upstreamPort });
    upstream.pause();
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = (): void => this.drop(pair, false);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    this.forward(client, upstream);
    this.forward(upstream, client);
    upstream.once('connect', () => {
      if (this.stalled || !this.pairs.has(pair)) return;
      client.resume();
      upstream.resume();
    });
  }

  /** Copies `from` to `to` by hand (not pipe(): a piped stream resumes itself on drain). */
  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!this.stalled) from.resume();
    });
    // A half-close (FIN) is passed on: the PostgreSQL protocol ends with Terminate, then FIN.
    from.on('end', () => to.end());
  }

  private drop(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    for (const socket of [pair.client, pair.upstream]) {
      if (reset && !socket.destroyed && typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
