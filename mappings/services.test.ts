import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getTableColumns } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/package-root.js';
import { migrationsFolder, SERVICE_LIST, SERVICES } from './services.js';
import { LEGACY_TABLES, legacySchemaSql } from './legacy/schema.js';
import { SERVICE_DEFINITIONS } from './index.js';

describe('SERVICE_DEFINITIONS', () => {
  it('lists every service once, in the order of SERVICES', () => {
    expect(Object.keys(SERVICE_DEFINITIONS)).toEqual([...SERVICES]);
  });

  it('names every drizzle property after its SQL column', () => {
    for (const { tables } of Object.values(SERVICE_DEFINITIONS)) {
      for (const table of tables) {
        for (const [key, column] of Object.entries(getTableColumns(table))) expect(key).toBe(column.name);
      }
    }
  });

  it('declares no foreign keys between target tables', () => {
    for (const { tables } of Object.values(SERVICE_DEFINITIONS)) {
      for (const table of tables) expect(getTableConfig(table).foreignKeys).toEqual([]);
    }
  });

  it('has a drizzle-kit journal in every migrations folder', () => {
    for (const { service } of SERVICE_LIST) {
      expect(existsSync(join(migrationsFolder(service), 'meta', '_journal.json'))).toBe(true);
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
