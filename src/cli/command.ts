import type { Config } from '../config/config.js';
import type { Mappings } from '../runtime.js';

/** What a command receives: its arguments, the environment and where to write. Nothing global. */
export interface CommandContext {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Validates the configuration (once) or throws a `configuration` PgcarveError. */
  readonly config: () => Config;
  /** The mappings, loaded once by main (the routing table is built on first use). */
  readonly mappings: () => Mappings;
  /** Resolves when the process is asked to stop (SIGTERM / SIGINT). */
  readonly stopSignal: AbortSignal;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The command's own `--help` text. */
  readonly usage: string;
  /** Returns the exit code. */
  readonly run: (ctx: CommandContext) => Promise<number>;
}
