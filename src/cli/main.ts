import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INVERSE_MAPPINGS, LEGACY_RULES } from '../../mappings/index.js';
import { loadConfig, type Config } from '../config/config.js';
import { redactText } from '../config/redact.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { packageRoot } from '../package-root.js';
import { RoutingTable } from '../router/routing-table.js';
import type { Mappings } from '../runtime.js';
import { describeArgumentError, joinNegativeValues } from './argument-errors.js';
import { EXIT, exitCodeOf } from '../errors/exit-codes.js';
import type { Command, CommandContext } from './command.js';
import { configHelp } from './config-help.js';
import { COMMANDS } from './commands.js';

function version(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `pgcarve ${version()}: carve a monolithic PostgreSQL database into per-service databases

Usage: pgcarve <command> [options]      pgcarve <command> --help

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Configuration (environment variables, or a JSON file named by PGCARVE_CONFIG_FILE):
${configHelp()}

Exit codes: 0 ok, 1 condition not met (drift, timeout, refused cutover), 2 bad configuration or
arguments, 3 operator-facing failure (unreachable server, missing privilege, …), 70 internal error.
`;
}

export interface MainIo {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly installSignalHandlers?: boolean;
}

/** The CLI. Returns the exit code; never calls process.exit (the caller sets process.exitCode). */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const stderr = io.stderr ?? ((t: string) => void process.stderr.write(t));
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === args[0]) : undefined;
    stdout(topic ? `${topic.usage}\n` : helpText());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    stdout(`${version()}\n`);
    return EXIT.ok;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (!command) {
    stderr(`pgcarve: unknown command "${name}". Run \`pgcarve --help\` for the list of commands.\n`);
    return EXIT.usage;
  }
  return await executeCommand(command, args, io);
}

/**
 * Runs one command with `args` (its --help, its signals, its errors as exit codes). `help` is how
 * its messages tell the user to get its options: the development tools (`npm run demo`, `npm run
 * bench`, in tools/) run their commands through here too.
 */
export async function executeCommand(command: Command, args: readonly string[], io: MainIo = {}, help = `pgcarve ${command.name} --help`): Promise<number> {
  const stdout = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const stderr = io.stderr ?? ((t: string) => void process.stderr.write(t));
  const env = io.env ?? process.env;
  if (args.includes('--help') || args.includes('-h')) {
    stdout(`${command.usage}\n`);
    return EXIT.ok;
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  if (io.installSignalHandlers !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  let config: Config | undefined;
  let mappings: Mappings | undefined;
  const ctx: CommandContext = {
    args: joinNegativeValues(args),
    env,
    stdout,
    stderr,
    stopSignal: controller.signal,
    config: () => (config ??= loadConfig(env)),
    // The one place the product loads its mappings (README "Adding a service").
    mappings: () => (mappings ??= { routing: new RoutingTable(LEGACY_RULES), inverses: INVERSE_MAPPINGS }),
  };
  try {
    return await command.run(ctx);
  } catch (error) {
    return reportError(error, command.name, help, stderr);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function reportError(error: unknown, command: string, help: string, stderr: (text: string) => void): number {
  if (error instanceof PgcarveError) {
    if (error.kind === 'configuration') {
      stderr(`pgcarve ${command}: the configuration is not valid:\n${error.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
      return exitCodeOf(error.kind);
    }
    if (error.kind === 'bad_input') {
      const lines = redactText(error.message).split('\n');
      stderr(lines.length === 1 ? `pgcarve ${command}: ${lines[0]}\n` : `pgcarve ${command}: ${lines.length} problems:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
      return exitCodeOf(error.kind);
    }
    stderr(`pgcarve ${command}: ${redactText(error.message)}\n`);
    return exitCodeOf(error.kind);
  }
  const argumentError = describeArgumentError(error, command, help);
  if (argumentError !== undefined) {
    stderr(`pgcarve ${command}: ${argumentError}\n`);
    return EXIT.usage;
  }
  stderr(`pgcarve ${command}: internal error: ${redactText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
  return EXIT.internal;
}
