import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../src/errors/exit-codes.js';
import { CONFIG_KEYS, CONFIG_FILE_KEY } from '../src/config/config.js';
import { ERROR_KINDS } from '../src/errors/pgcarve-error.js';
import { packageRoot } from '../src/package-root.js';
import { TOOLS } from '../tools/tool-main.js';
import { PGCARVE_METRICS } from './deploy/metric-names.js';
import { cliCommands, runCli } from './harness/run-cli.js';

/** The README and `--help` say what the code does: every command, configuration key and metric. */
const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');

async function help(): Promise<string> {
  return (await runCli(['--help'], {})).stdout;
}

describe('documentation', () => {
  it('the README and --help list every command', async () => {
    const commands = await cliCommands();
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const name of commands) {
      expect(readme, name).toContain(`\`pgcarve ${name}`);
      const own = await runCli([name, '--help'], {});
      expect(own.code, `pgcarve ${name} --help`).toBe(0);
      expect(own.stdout, name).toContain(`pgcarve ${name}`);
    }
  });

  it('the README and --help give the development tools as npm scripts, never as pgcarve commands', async () => {
    const text = await help();
    for (const tool of TOOLS) {
      expect(readme, tool.name).toContain(`npm run ${tool.name}`);
      expect(readme, tool.name).not.toContain(`\`pgcarve ${tool.name}`);
      expect(text).not.toContain(`  ${tool.name} `);
    }
  });

  it('the README configuration table lists every key', () => {
    for (const key of [...CONFIG_KEYS, CONFIG_FILE_KEY]) expect(readme, key).toContain(`| \`${key}\` |`);
  });

  it('the README metrics table lists every metric the dashboard and alerts rely on', () => {
    for (const { name } of PGCARVE_METRICS) expect(readme, name).toContain(`\`${name}\``);
  });

  it('the README Troubleshooting table has one row per error kind, with its exit code and a remedy', () => {
    const section = readme.slice(readme.indexOf('## Troubleshooting'), readme.indexOf('\n## ', readme.indexOf('## Troubleshooting') + 1));
    const rows = section.split('\n').filter((line) => /^\| `[a-z_]+` \|/.test(line));
    const kinds = rows.map((row) => /^\| `([a-z_]+)`/.exec(row)?.[1]);
    expect([...kinds].sort()).toEqual([...ERROR_KINDS].sort());
    for (const row of rows) {
      const [kind, seen, exit, remedy] = row.split(' | ').map((cell) => cell.replace(/^\| |`/g, '').trim());
      expect(Number(exit), `${kind}: exit code`).toBe(exitCodeOf(kind as (typeof ERROR_KINDS)[number]));
      expect(seen?.length, `${kind}: what you see`).toBeGreaterThan(10);
      expect(remedy?.length, `${kind}: what to do`).toBeGreaterThan(10);
    }
  });

  it('run --help lists every configuration key and the exit codes', async () => {
    const out = (await runCli(['run', '--help'], {})).stdout;
    for (const key of [...CONFIG_KEYS, CONFIG_FILE_KEY]) expect(out, key).toContain(`  ${key} `);
    expect(out).toContain('Exit codes:');
  });

  it('the README states the two commands', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
});
