/** Events per second over a sliding window (for "transactions per second" in the view). */
export class RateMeter {
  private readonly samples: { at: number; count: number }[] = [];
  private totalValue = 0;

  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(count: number): void {
    this.totalValue += count;
    this.samples.push({ at: this.now(), count });
    this.trim();
  }

  /** Sets the running total (for a counter read from elsewhere); the difference counts as events. */
  observeTotal(total: number): void {
    if (total > this.totalValue) this.add(total - this.totalValue);
  }

  get total(): number {
    return this.totalValue;
  }

  rate(): number {
    this.trim();
    const sum = this.samples.reduce((s, x) => s + x.count, 0);
    return sum / (this.windowMs / 1000);
  }

  private trim(): void {
    const from = this.now() - this.windowMs;
    while (this.samples.length > 0 && (this.samples[0] as { at: number }).at < from) this.samples.shift();
  }
}
