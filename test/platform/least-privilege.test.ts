import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster, freePort } from '../../tools/embedded/embedded-cluster.js';
import { query } from '../streaming/sidecar-fixture.js';
import { failedSteps, fullRun, pgcarve, type Step } from './full-run.js';
import { createRestrictedSetup, PASSWORD_HBA, type RestrictedSetup } from './restricted-roles.js';

/**
 * pgcarve with the least privileges the README documents (a legacy role with REPLICATION and
 * SELECT on the mapped tables, a publication created by the tables' owner, target roles that own
 * their database only), and with distinctive passwords that must appear in no output: logs,
 * `status --json`, /status, /metrics, and the messages of the failures below.
 */
let cluster: EmbeddedCluster;
let setup: RestrictedSetup;
const outputs: Step[] = [];
// Distinctive, and with characters a URL must percent-encode.
const passwordOf = (role: string): string => `Pw#${role.length}-s3cr%t@${role.slice(0, 4)}!`;

beforeAll(async () => {
  cluster = await EmbeddedCluster.create({ name: 'least-privilege', files: { 'pg_hba.conf': PASSWORD_HBA } });
  setup = await createRestrictedSetup(cluster, passwordOf);
});
afterAll(async () => {
  await cluster?.destroy();
});

describe('least privilege', () => {
  it('migrate, run, wait-sync, verify and status work with the documented grants only', async () => {
    const steps = await fullRun(setup.env, async () => {
      await query(setup.legacyAdminUrl, `INSERT INTO roles (name, permissions, created_at) VALUES ('least', '[]', now())`);
    });
    outputs.push(...steps);
    if (process.env.PGCARVE_TEST_LOG) for (const s of steps) console.log(s.what, s.code, s.output.slice(0, 3000));
    expect(failedSteps(steps)).toBe('');
  }, 300_000);

  it('a missing SELECT grant stops run with exit 3 and the GRANT statement that fixes it', async () => {
    await query(setup.legacyAdminUrl, `REVOKE SELECT ON public.documents FROM ${setup.legacyRole}`);
    try {
      const step = await pgcarve(['run'], { ...setup.env, PGCARVE_SLOT: 'pgcarve_lp_missing' });
      outputs.push(step);
      expect(step.code, step.output).toBe(3);
      expect(step.output).toContain(`GRANT SELECT ON public.documents TO "${setup.legacyRole}";`);
      expect(step.output).not.toMatch(/internal error/);
    } finally {
      await query(setup.legacyAdminUrl, `GRANT SELECT ON public.documents TO ${setup.legacyRole}`);
    }
  }, 120_000);

  it('a wrong password fails with exit 3', async () => {
    const wrong = { ...setup.env, DATABASE_URL_LEGACY: setup.env.DATABASE_URL_LEGACY?.replace(/:[^:@/]+@/, `:${encodeURIComponent('Wrong-Pw%-zz9')}@`) ?? '' };
    for (const args of [['status'], ['verify'], ['run']]) {
      const step = await pgcarve(args, wrong);
      outputs.push(step);
      expect(step.code, step.output).toBe(3);
      expect(step.output).toMatch(/the password was rejected; check the user and password in DATABASE_URL_LEGACY/);
    }
  }, 120_000);

  it('an unreachable server and a URL without a database fail without echoing the URL\'s password', async () => {
    const closed = { ...setup.env, DATABASE_URL_USER_SERVICE: setup.env.DATABASE_URL_USER_SERVICE?.replace(`:${cluster.port}/`, `:${await freePort()}/`) ?? '' };
    for (const args of [['migrate'], ['verify'], ['status']]) {
      const step = await pgcarve(args, closed);
      outputs.push(step);
      expect(step.code, step.output).not.toBe(0);
    }
    const noDatabase = { ...setup.env, DATABASE_URL_LEGACY: setup.env.DATABASE_URL_LEGACY?.replace(/\/legacy$/, '') ?? '' };
    const step = await pgcarve(['run'], noDatabase);
    outputs.push(step);
    expect(step.code, step.output).toBe(2);
  }, 120_000);
});

describe('no password in any output', () => {
  it('greps every output of the runs above for every password, raw and percent-encoded', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    const all = outputs.map((s) => s.output).join('\n');
    expect(all).toContain('pgcarve_legacy'); // the outputs are there, and name the role
    for (const secret of [...setup.passwords, 'Wrong-Pw%-zz9']) {
      for (const form of [secret, encodeURIComponent(secret)]) {
        const hit = outputs.find((s) => s.output.includes(form));
        expect(hit ? `${hit.what} printed a password` : undefined).toBeUndefined();
      }
    }
  });
});
