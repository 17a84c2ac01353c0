import { ERROR_POLICY, type ErrorKind } from './pgcarve-error.js';

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The checked condition does not hold (drift found, wait timed out, cutover refused). */
  notSatisfied: 1,
  /** Bad configuration or bad command-line input. */
  usage: 2,
  /** An operator-facing failure (unreachable server, missing privilege, …). */
  failure: 3,
  /** Stopped by SIGTERM or SIGINT before it finished (what it leaves is said on stderr). */
  interrupted: 130,
  /** A bug: please report it. */
  internal: 70,
} as const;

/**
 * The exit code of a command that fails with a PgcarveError of `kind`: 2 for bad configuration or
 * input, 70 for a bug, 3 for everything the operator can fix (a transient kind that `run` would
 * retry counts here too when it ends a command: a database down at start, a one-shot command).
 */
export function exitCodeOf(kind: ErrorKind): number {
  if (kind === 'configuration' || kind === 'bad_input') return EXIT.usage;
  return ERROR_POLICY[kind].retry === 'fatal' ? EXIT.internal : EXIT.failure;
}
