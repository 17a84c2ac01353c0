import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { circles, floors, readImportGraph, relativeImports, roomGraph, roomOf } from './import-graph.js';

const graph = readImportGraph(packageRoot());
const rooms = roomGraph(graph);

describe('the import graph', () => {
  it('has no circle of files', () => {
    expect(circles(graph.imports)).toEqual([]);
  });

  it('has no arrow running back up a floor (no circle of rooms)', () => {
    const found = circles(new Map([...rooms].map(([room, edges]) => [room, edges.keys()])));
    const arrows = found.flatMap((circle) => circle.flatMap((room) => [...(rooms.get(room) ?? [])].filter(([to]) => circle.includes(to)).flatMap(([, via]) => via)));
    expect(arrows).toEqual([]);
  });

  it('keeps the product (src, mappings) free of tooling and tests', () => {
    const wrong = [...graph.imports].flatMap(([file, targets]) => (file.startsWith('tools/') ? [] : [...targets].filter((t) => t.startsWith('tools/') || t.startsWith('test/')).map((t) => `${file} -> ${t}`)));
    expect(wrong).toEqual([]);
  });

  it('lets no test outside src/cli import the CLI (tests run it as users do: test/harness/run-cli.ts)', () => {
    const root = packageRoot();
    const tests: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(join(root, dir))) {
        const path = `${dir}/${name}`;
        if (statSync(join(root, path)).isDirectory()) {
          if (name !== 'node_modules') walk(path);
        } else if (path.endsWith('.ts') && (dir.startsWith('test') || name.endsWith('.test.ts'))) tests.push(path);
      }
    };
    for (const dir of ['test', 'src', 'mappings', 'tools']) walk(dir);
    const outside = tests.filter((file) => !file.startsWith('src/cli/'));
    const wrong = outside.flatMap((file) => relativeImports(readFileSync(join(root, file), 'utf8')).map((spec) => relative(root, resolve(root, dirname(file), spec))).filter((target) => target.startsWith('src/cli/')).map((target) => `${file} -> ${target}`));
    expect(tests.length).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  it('resolves every import to a file of the graph or outside the three roots', () => {
    const known = new Set(graph.files);
    const missing = [...graph.imports].flatMap(([file, targets]) => [...targets].filter((t) => /^(src|mappings|tools)\//.test(t) && !known.has(t)).map((t) => `${file} -> ${t}`));
    expect(missing).toEqual([]);
  });
});

describe('the checker itself', () => {
  it('reads static, type-only, re-export and dynamic imports', () => {
    const text = ["import { a } from './a.js';", "import type { B } from '../b.js';", "export { c } from './c.js';", "const d = await import('./d.js');", "import e from 'pg';", "import './side-effect.js';"].join('\n');
    expect(relativeImports(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './side-effect.js']);
  });

  it('finds a circle and leaves a chain alone', () => {
    expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('puts a room one floor above the highest room it imports', () => {
    const f = floors(new Map([['top', new Map([['mid', 1], ['ground', 1]])], ['mid', new Map([['ground', 1]])], ['ground', new Map()]]));
    expect([f.get('ground'), f.get('mid'), f.get('top')]).toEqual([1, 2, 3]);
  });

  it('names rooms by folder, mappings as one', () => {
    expect([roomOf('src/router/router.ts'), roomOf('src/sidecar.ts'), roomOf('mappings/user/mapping.ts'), roomOf('tools/demo/run-demo.ts')]).toEqual(['src/router', 'src/sidecar.ts', 'mappings', 'tools/demo']);
  });
});
