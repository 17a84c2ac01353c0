import { expect, test } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { toolMain, TOOLS } from '../../tools/tool-main.js';

/** The demo and the benchmark are `npm run` tools: the production CLI refuses them, the tools' entry runs them. */
async function run(entry: typeof toolMain, argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await entry(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), installSignalHandlers: false, env: {} });
  return { code, stdout, stderr };
}

test('pgcarve refuses the tools as unknown commands (exit 2), and the tools entry gives their help and option errors in npm terms', async () => {
  for (const tool of TOOLS) {
    const refused = await runCli([tool.name, '--help'], {});
    expect(refused.code, tool.name).toBe(2);
    expect(refused.stderr).toBe(`pgcarve: unknown command "${tool.name}". Run \`pgcarve --help\` for the list of commands.\n`);

    const help = await run(toolMain, [tool.name, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: npm run ${tool.name} -- \\[`));

    const bad = await run(toolMain, [tool.name, '--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`pgcarve ${tool.name}: unknown option --no-such-option: \`npm run ${tool.name} -- --help\` lists its options\n`);
  }
  const unknown = await run(toolMain, ['nope']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('`npm run demo` or `npm run bench`');
});
