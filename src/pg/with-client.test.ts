import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../test/harness/wait-for.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { withClient } from './with-client.js';

const adminUrl = (): string => inject('pgAdminUrl');

async function sessions(application: string): Promise<number> {
  return await withClient(adminUrl(), { doing: 'counting sessions' }, async (client) => {
    const result = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [application]);
    return result.rows[0]?.n ?? -1;
  });
}

describe('withClient', () => {
  it("returns f's result with the purpose's application_name, and ends the connection", async () => {
    const application = `pgcarve-test-${randomBytes(4).toString('hex')}`;
    const seen = await withClient(adminUrl(), { doing: 'testing', application }, async (client) => (await client.query<{ name: string }>("SELECT current_setting('application_name') AS name")).rows[0]?.name);
    expect(seen).toBe(application);
    await waitFor('the session to end', async () => ((await sessions(application)) === 0 ? true : undefined));
  });

  it("rethrows f's own error, unchanged, and still ends the connection", async () => {
    const application = `pgcarve-test-${randomBytes(4).toString('hex')}`;
    const thrown = new Error('from f');
    await expect(withClient(adminUrl(), { doing: 'testing', application }, async () => Promise.reject(thrown))).rejects.toBe(thrown);
    const driver = await withClient(adminUrl(), { doing: 'testing', application }, (client) => client.query('SELECT 1/0')).catch((error: unknown) => error);
    expect((driver as { code?: string }).code).toBe('22012');
    await waitFor('the sessions to end', async () => ((await sessions(application)) === 0 ? true : undefined));
  });

  it('a failed connect is a PgcarveError for the operator: with a target, its key, host, database and user', async () => {
    const url = new URL(adminUrl());
    url.port = '1';
    const error = await withClient(url.toString(), { doing: 'testing', target: { key: 'DATABASE_URL_LEGACY', label: 'the legacy database' }, connectTimeoutMs: 5_000 }, async () => 'unreachable').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PgcarveError);
    expect((error as PgcarveError).kind).toBe('connection_lost');
    expect((error as PgcarveError).message).toMatch(/^cannot connect to the legacy database \(DATABASE_URL_LEGACY\) at [^:]+:1, database /);
    const plain = await withClient(url.toString(), { doing: 'reading something', connectTimeoutMs: 5_000 }, async () => 'unreachable').catch((e: unknown) => e);
    expect((plain as PgcarveError).message).toMatch(/^reading something: /);
  });
});
