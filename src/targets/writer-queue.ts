import type { WriterItem } from './writer-item.js';

/**
 * The items one writer session has received and not yet processed, in order.
 *
 * Bounded by the number of ops it holds: `push` returns a promise when the queue is full, and the
 * router waits on it (backpressure) until the session has worked the queue down to half, or until
 * the queue is closed. A full queue from which nothing is taken for `stallMs` calls `onStall` once:
 * the session behind it is stuck (a lock, an unreachable server) and must not keep the others
 * waiting; it falls behind alone. A slow session that keeps taking items only slows the router.
 *
 * Closing is final: items pushed afterwards are dropped, and every waiter is released, so nothing
 * of an ended round can block or reach anything else.
 */
export class WriterQueue {
  private items: (WriterItem | undefined)[] = [];
  private head = 0;
  private ops = 0;
  private waiters: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private closedValue = false;

  constructor(
    private readonly maxOps: number,
    private readonly stallMs: number,
    private readonly onStall: () => void,
  ) {}

  get closed(): boolean {
    return this.closedValue;
  }

  /** Ops queued and not yet taken. */
  get queuedOps(): number {
    return this.ops;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: WriterItem): Promise<void> | undefined {
    if (this.closedValue) return undefined;
    this.items.push(item);
    if (item.kind === 'ops') this.ops += item.ops.length;
    this.wake?.();
    if (this.ops < this.maxOps) return undefined;
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
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (item?.kind === 'ops') {
      this.ops -= item.ops.length;
      if (this.ops < this.maxOps / 2) this.releaseWaiters();
    }
    if (this.stallTimer) {
      // Progress: the stall bound counts from the last item taken.
      clearTimeout(this.stallTimer);
      this.stallTimer = this.startStallTimer();
    }
    return item;
  }

  /** Resolves when an item arrives, the queue closes, or `aborted` resolves. */
  async waitForItem(aborted: Promise<void>): Promise<void> {
    if (this.length > 0 || this.closedValue) return;
    await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), aborted]);
    this.wake = undefined;
  }

  close(): void {
    this.closedValue = true;
    this.items = [];
    this.head = 0;
    this.ops = 0;
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
