import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The import graph of the product and its tooling, read from the sources: one node per file, one
 * edge per relative import (static, `export … from`, or `import('…')` with a literal path). Tests
 * are not nodes. A *room* is what the README's architecture section names: a folder under src/ or
 * tools/, a file directly under src/, and mappings/ as a whole.
 */
export interface ImportGraph {
  /** Repository-relative paths of every file, e.g. `src/router/router.ts`. */
  readonly files: readonly string[];
  /** file → the files it imports. */
  readonly imports: ReadonlyMap<string, ReadonlySet<string>>;
}

const TOPS = ['src', 'mappings', 'tools'] as const;
const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

function sources(root: string, dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'migrations') sources(root, path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
      out.push(relative(root, path));
    }
  }
}

/** The specifiers of the relative imports in `text`. */
export function relativeImports(text: string): readonly string[] {
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

export function readImportGraph(root: string): ImportGraph {
  const files: string[] = [];
  for (const top of TOPS) sources(root, join(root, top), files);
  const imports = new Map<string, Set<string>>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const spec of relativeImports(readFileSync(join(root, file), 'utf8'))) {
      targets.add(relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts'));
    }
    imports.set(file, targets);
  }
  return { files, imports };
}

/** The room of a file (see ImportGraph). */
export function roomOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'mappings') return 'mappings';
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file;
}

/** The graph of rooms: an edge wherever a file of one room imports a file of another. */
export function roomGraph(graph: ImportGraph): ReadonlyMap<string, ReadonlyMap<string, readonly string[]>> {
  const rooms = new Map<string, Map<string, string[]>>();
  for (const [file, targets] of graph.imports) {
    const from = roomOf(file);
    if (!rooms.has(from)) rooms.set(from, new Map());
    for (const target of targets) {
      const to = roomOf(target);
      if (to === from) continue;
      const edges = rooms.get(from) as Map<string, string[]>;
      edges.set(to, [...(edges.get(to) ?? []), `${file} -> ${target}`]);
    }
  }
  return rooms;
}

/** The strongly connected components with more than one node (Tarjan): each is a circle. */
export function circles(edges: ReadonlyMap<string, Iterable<string>>): readonly (readonly string[])[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/**
 * The floors of an acyclic room graph: a room stands one floor above the highest room it imports;
 * floor 1 is the ground (rooms that import no other room).
 */
export function floors(rooms: ReadonlyMap<string, ReadonlyMap<string, unknown>>): ReadonlyMap<string, number> {
  const floor = new Map<string, number>();
  const of = (room: string): number => {
    const known = floor.get(room);
    if (known !== undefined) return known;
    floor.set(room, 0); // a circle would read 0 here; circles() is checked first
    const below = [...(rooms.get(room)?.keys() ?? [])].map(of);
    const value = 1 + Math.max(0, ...below);
    floor.set(room, value);
    return value;
  };
  for (const room of rooms.keys()) of(room);
  return floor;
}
