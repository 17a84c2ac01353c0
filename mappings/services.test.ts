import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getTableColumns } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/package-root.js';
import { SERVICES } from '../src/router/service.js';
import { LEGACY_TABLES, legacySchemaSql } from './legacy/schema.js';
import { SERVICE_SCHEMAS, migrationsFolder } from './services.js';

describe('SERVICE_SCHEMAS', () => {
  it('lists every service once, in the order of SERVICES', () => {
    expect(SERVICE_SCHEMAS.map((s) => s.service)).toEqual([...SERVICES]);
  });

  it('names every drizzle property after its SQL column', () => {
    for (const { schema } of SERVICE_SCHEMAS) {
      for (const table of schema.tables) {
        for (const [key, column] of Object.entries(getTableColumns(table))) expect(key).toBe(column.name);
      }
    }
  });

  it('declares no foreign keys between target tables', () => {
    for (const { schema } of SERVICE_SCHEMAS) {
      for (const table of schema.tables) expect(getTableConfig(table).foreignKeys).toEqual([]);
    }
  });

  it('has a drizzle-kit journal in every migrations folder', () => {
    for (const { folder } of SERVICE_SCHEMAS) {
      expect(existsSync(join(migrationsFolder(folder), 'meta', '_journal.json'))).toBe(true);
    }
  });
});

describe('legacy schema', () => {
  it('creates exactly the LEGACY_TABLES', () => {
    const created = [...legacySchemaSql().matchAll(/^CREATE TABLE public\.(\w+)/gm)].map((m) => m[1]);
    expect(created).toEqual([...LEGACY_TABLES]);
  });
});

describe('packageRoot', () => {
  it('finds the directory of the pgcarve package.json', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name: string };
    expect(manifest.name).toBe('pgcarve');
  });
});
