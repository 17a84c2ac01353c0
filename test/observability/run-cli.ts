import { main } from '../../src/cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `pgcarve <args>` in this process (the real command code, on the test databases). */
export async function runCli(args: readonly string[], env: Readonly<Record<string, string>>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), installSignalHandlers: false });
  return { code, stdout, stderr };
}
