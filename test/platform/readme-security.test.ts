import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BINARY_PACKAGES } from '../../tools/embedded/embedded-cluster.js';
import { packageRoot } from '../../src/package-root.js';
import { MAPPED_TABLES } from './restricted-roles.js';

/** The README's least-privilege SQL and version list stay in step with the mappings and the binaries. */
const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');

function tablesOf(statement: RegExp): string[] {
  const match = statement.exec(readme);
  expect(match, String(statement)).not.toBeNull();
  return (match?.[1] ?? '').split(',').map((t) => t.trim().replace(/^public\./, '')).sort();
}

it('the README grants SELECT on exactly the mapped tables, and publishes exactly them', () => {
  expect(tablesOf(/GRANT SELECT ON ([^;]*?)\s+TO pgcarve;/)).toEqual(MAPPED_TABLES);
  expect(tablesOf(/CREATE PUBLICATION pgcarve FOR TABLE ([^;]*);/)).toEqual(MAPPED_TABLES);
});

it('the README names the majors the tests run the legacy server on, and each has its binaries', () => {
  const config = readFileSync(join(packageRoot(), 'vitest.config.ts'), 'utf8');
  const majors = [...(/\.\.\.\[(\d+), (\d+)\]\.map/.exec(config) ?? [])].slice(1).map(Number);
  expect(majors.length).toBe(2);
  for (const major of majors) {
    expect(BINARY_PACKAGES[major], `binaries of ${major}`).toBeDefined();
    expect(readme).toContain(`legacy-pg${major}`);
  }
});
