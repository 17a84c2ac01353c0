import { PgcarveError } from '../errors/pgcarve-error.js';

/**
 * Collects every bad option of one command line, so that all are reported at once (as the
 * configuration is), instead of the first one only.
 */
export class OptionProblems {
  private readonly problems: string[] = [];

  /** The value `read` returns, or `fallback` when it throws a `bad_input` error (recorded). */
  take<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof PgcarveError) || error.kind !== 'bad_input') throw error;
      this.problems.push(error.message);
      return fallback;
    }
  }

  /** Throws one `bad_input` error listing every problem, one per line. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new PgcarveError('bad_input', this.problems.join('\n'));
  }
}
