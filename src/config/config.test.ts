import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { loadConfig } from './config.js';
import { redactText, redactUrl } from './redact.js';

const GOOD = {
  DATABASE_URL_LEGACY: 'postgres://app:s3cret@legacy:5432/legacy',
  DATABASE_URL_USER_SERVICE: 'postgres://app:s3cret@users:5432/user_db',
  DATABASE_URL_DOCUMENT_SERVICE: 'postgresql://app@docs/document_db',
  DATABASE_URL_FREEZONE_SERVICE: 'postgres://app@fz/freezone_db',
  DATABASE_URL_AI_RESEARCH_SERVICE: 'postgres://app@ai/ai_research_db',
  DATABASE_URL_SCRAPER_SERVICE: 'postgres://app@scraper/scraper_db',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(PgcarveError);
    expect((error as PgcarveError).kind).toBe('configuration');
    return (error as Error).message.split('\n');
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig', () => {
  it('reads the HTTP host and token, and rejects a short token without printing it', () => {
    const config = loadConfig({ ...GOOD, PGCARVE_HTTP_HOST: '0.0.0.0', PGCARVE_HTTP_TOKEN: 'x'.repeat(32) });
    expect([config.httpHost, config.httpToken]).toEqual(['0.0.0.0', 'x'.repeat(32)]);
    const lines = problems({ ...GOOD, PGCARVE_HTTP_TOKEN: 'short-secret', PGCARVE_HTTP_HOST: 'not a host' });
    expect(lines).toEqual([
      'PGCARVE_HTTP_HOST: must be an IP address or host name to listen on, such as 127.0.0.1 or 0.0.0.0',
      'PGCARVE_HTTP_TOKEN: must be at least 16 characters (generate one with `openssl rand -hex 32`)',
    ]);
    expect(lines.join('\n')).not.toContain('short-secret');
  });

  it('reads a valid environment with defaults', () => {
    const config = loadConfig(GOOD);
    expect(config.slot).toBe('pgcarve');
    expect(config.publication).toBe('pgcarve');
    expect(config.httpPort).toBe(9187);
    expect(config.httpHost).toBe('127.0.0.1');
    expect(config.httpToken).toBeUndefined();
    expect(config.serviceUrls.document_db).toBe(GOOD.DATABASE_URL_DOCUMENT_SERVICE);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the writer queue bound in bytes (default 8 MiB) and rejects one out of range', () => {
    expect(loadConfig(GOOD).targetQueueBytes).toBe(8 * 1024 * 1024);
    expect(loadConfig({ ...GOOD, PGCARVE_TARGET_QUEUE_BYTES: '1048576' }).targetQueueBytes).toBe(1_048_576);
    expect(problems({ ...GOOD, PGCARVE_TARGET_QUEUE_BYTES: '1000' })).toEqual(['PGCARVE_TARGET_QUEUE_BYTES: must be a whole number from 65536 to 1073741824, got "1000"']);
  });

  it('reports every problem at once, one line per key', () => {
    const lines = problems({ ...GOOD, DATABASE_URL_LEGACY: undefined, DATABASE_URL_USER_SERVICE: 'not a url', PGCARVE_SLOT: 'Bad-Slot', PGCARVE_HTTP_PORT: '99999' });
    expect(lines).toEqual([
      'DATABASE_URL_LEGACY: is required but not set',
      'DATABASE_URL_USER_SERVICE: is not a URL; expected postgres://user:password@host:5432/database',
      'PGCARVE_HTTP_PORT: must be a whole number from 0 to 65535, got "99999"',
      expect.stringMatching(/^PGCARVE_SLOT: must match \^\[a-z_\]\[a-z0-9_\]\*\$/),
    ]);
  });

  it.each([
    ['mysql://h/db', /has scheme mysql/],
    ['postgres://h', /names no database/],
    ['postgres:///db', /has no host/],
  ])('rejects the URL %s', (url, message) => {
    const lines = problems({ ...GOOD, DATABASE_URL_SCRAPER_SERVICE: url });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it.each(['pgcarve; drop', '1slot', 'UPPER', 'x'.repeat(64)])('rejects the publication name %j', (name) => {
    expect(problems({ ...GOOD, PGCARVE_PUBLICATION: name })[0]).toMatch(/^PGCARVE_PUBLICATION: /);
  });

  it('never echoes a password in a problem', () => {
    const lines = problems({ ...GOOD, DATABASE_URL_LEGACY: 'mysql://u:hunter2@h/db' });
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('reads the config file, and the environment overrides it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgcarve-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...GOOD, PGCARVE_SLOT: 'from_file', PGCARVE_HTTP_PORT: 9000 }));
    const config = loadConfig({ PGCARVE_CONFIG_FILE: file, PGCARVE_SLOT: 'from_env' });
    expect(config.slot).toBe('from_env');
    expect(config.httpPort).toBe(9000);
  });

  it('rejects unknown keys in the file, naming them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgcarve-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...GOOD, PGCARVE_SLTO: 'typo' }));
    const lines = problems({ PGCARVE_CONFIG_FILE: file });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PGCARVE_SLTO: unknown key in /);
  });

  it('rejects a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgcarve-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, 'SLOT=x');
    expect(problems({ ...GOOD, PGCARVE_CONFIG_FILE: file })[0]).toMatch(/^PGCARVE_CONFIG_FILE: cannot read .* as JSON/);
  });
});

describe('redaction', () => {
  it('hides passwords in URLs and in text', () => {
    expect(redactUrl('postgres://u:pw@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://u@h/db?password=pw')).toBe('postgres://u@h/db?password=***');
    expect(redactUrl('::::')).toBe('<unparseable URL>');
    expect(redactText('failed for postgres://u:pw@h/db, retrying')).toBe('failed for postgres://u:***@h/db, retrying');
  });
});
