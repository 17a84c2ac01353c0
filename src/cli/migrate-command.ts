import { parseArgs } from 'node:util';
import { migrateAll } from '../migrate/migrate-services.js';
import { EXIT, type Command } from './command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create the five service databases if missing and apply their migrations',
  usage: `Usage: pgcarve migrate [--json]

Creates each service database that does not exist (through the server's maintenance database
"postgres") and applies its drizzle-kit migrations. Idempotent and safe to run concurrently.
Exit 0 only when all five databases are at the latest migration.

Options:
  --json    print what was done per service as JSON`,
  async run(ctx) {
    const { values } = parseArgs({ args: [...ctx.args], options: { json: { type: 'boolean', default: false } }, strict: true });
    const config = ctx.config();
    const results = await migrateAll(config.serviceUrls);
    const ok = results.every((r) => !('error' in r) && r.atLatest);
    if (values.json) {
      ctx.stdout(
        `${JSON.stringify(
          {
            ok,
            services: results.map((r) => ('error' in r ? { service: r.service, ok: false, kind: r.error.kind, error: r.error.message } : { ...r, ok: r.atLatest })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      for (const r of results) {
        if ('error' in r) ctx.stderr(`${r.service}: FAILED (${r.error.kind}): ${r.error.message}\n`);
        else
          ctx.stdout(
            `${r.service}: ${r.databaseCreated ? 'database created, ' : ''}${r.migrationsApplied === 0 ? 'already at the latest migration' : `${r.migrationsApplied} migration(s) applied`} (${r.migrationsTotal} in total)\n`,
          );
      }
    }
    return ok ? EXIT.ok : EXIT.failure;
  },
};
