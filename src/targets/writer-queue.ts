import type { WriterItem } from './writer-item.js';
import { writerItemBytes } from './writer-item-bytes.js';

/**
 * The items one writer session has received and not yet processed, in order.
 *
 * Bounded by the bytes it holds, every item counted (writer-item-bytes.ts estimates them): `push`
 * returns a promise when the queue is full, and the router waits on it (backpressure) until the
 * session has worked the queue down to half, or until the queue is closed. Begin and commit items
 * count too, so a writer behind on many small transactions holds as little as one behind on a few
 * large ones: what the process holds does not grow with the backlog. A full queue from which nothing is taken for `stallMs` calls `onStall` once:
 * the session behind it is stuck (a lock, an unreachable server) and must not keep the others
 * waiting; it falls behind alone. A slow session that keeps taking items only slows the router.
 *
 * Closing is final: items pushed afterwards are dropped, and every waiter is released, so nothing
 * of an ended round can block or reach anything else.
 */
export class WriterQueue {
  private items: (WriterItem | undefined)[] = [];
  /** The estimated bytes of `items[i]`, kept to subtract exactly what was added. */
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private lastTaken = 0;
  private waiters: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private closedValue = false;

  constructor(
    private readonly maxBytes: number,
    private readonly stallMs: number,
    private readonly onStall: () => void,
  ) {}

  get closed(): boolean {
    return this.closedValue;
  }

  /** Estimated bytes of the item `take` returned last (so that its taker need not estimate it again). */
  get takenBytes(): number {
    return this.lastTaken;
  }

  /** Estimated bytes of the items queued and not yet taken. */
  get queuedBytes(): number {
    return this.bytes;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: WriterItem): Promise<void> | undefined {
    if (this.closedValue) return undefined;
    const size = writerItemBytes(item);
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
    this.wake?.();
    if (this.bytes < this.maxBytes) return undefined;
    this.stallTimer ??= this.startStallTimer();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private startStallTimer(): NodeJS.Timeout {
    return setTimeout(() => {
      if (!this.closedValue) this.onStall();
    }, this.stallMs);
  }

  /** The next item, or undefined when the queue is empty (or closed). */
  take(): WriterItem | undefined {
    if (this.closedValue || this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.lastTaken = this.sizes[this.head] ?? 0;
    this.bytes -= this.lastTaken;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    if ((this.waiters.length > 0 || this.stallTimer !== undefined) && this.bytes < this.maxBytes / 2) this.releaseWaiters();
    if (this.stallTimer) {
      // Progress: the stall bound counts from the last item taken.
      clearTimeout(this.stallTimer);
      this.stallTimer = this.startStallTimer();
    }
    return item;
  }

  /**
   * Resolves when an item arrives, the queue closes, or `signal` aborts. The abort listener is
   * removed on wake-up: racing a promise that lives as long as the round instead (Promise.race)
   * leaves one reaction on it per wait, retained until the round ends, which grows with the backlog.
   */
  async waitForItem(signal: AbortSignal): Promise<void> {
    if (this.length > 0 || this.closedValue || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        if (this.wake === wake) this.wake = undefined;
        resolve();
      };
      this.wake = wake;
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  close(): void {
    this.closedValue = true;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    this.releaseWaiters();
    this.wake?.();
  }

  private releaseWaiters(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
