import { isServiceName, SERVICES, type ServiceName } from '../../mappings/services.js';
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

/** A whole number option in [min, max]. */
export function integerOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new PgcarveError('bad_input', `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

export function serviceOption(text: string | undefined): ServiceName | undefined {
  if (text === undefined) return undefined;
  if (!isServiceName(text)) throw new PgcarveError('bad_input', `--service must be one of ${SERVICES.join(', ')}, got ${JSON.stringify(text)}`);
  return text;
}

/** `--service NAME`, which the command cannot do without. */
export function requiredServiceOption(text: string | undefined): ServiceName {
  const service = serviceOption(text);
  if (!service) throw new PgcarveError('bad_input', `--service is required: one of ${SERVICES.join(', ')}`);
  return service;
}
