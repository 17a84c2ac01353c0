import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'pgcarve';

/**
 * The directory of pgcarve's package.json, found by walking up from this module. It works the
 * same from source (src/package-root.ts, run by vitest) and from the build
 * (dist/src/package-root.js), so files shipped beside the code rather than compiled into dist
 * (the legacy schema SQL, the migrations) are found from either.
 */
export function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isPgcarvePackage(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) {
      throw new Error(`pgcarve's package.json was not found in ${start} or any parent directory: reinstall pgcarve`);
    }
  }
}

function isPgcarvePackage(path: string): boolean {
  if (!existsSync(path)) return false;
  const manifest: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return typeof manifest === 'object' && manifest !== null && (manifest as { name?: unknown }).name === PACKAGE_NAME;
}
