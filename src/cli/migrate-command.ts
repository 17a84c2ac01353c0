import { parseArgs } from 'node:util';
import { redactText } from '../config/redact.js';
import { migrateAll, type ServiceMigrationReport } from '../migrate/migrate-services.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Command } from './command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create the five service databases if missing and apply their migrations',
  usage: `Usage: pgcarve migrate [--json]

Creates each service database that does not exist (through the server's maintenance database
"postgres") and applies its drizzle-kit migrations. Idempotent and safe to run concurrently.
Then checks each database against the schema (information_schema): every table and column of
the drizzle schema must exist, each table with its primary key. A difference it cannot repair
(a column dropped by hand after its migration ran) is named, with what to do; a dropped table
is recreated, empty, from the migrations (then \`pgcarve backfill --service NAME\` copies its rows).

Exit codes: 0 all five databases migrated and matching, 2 bad arguments or configuration,
3 a database could not be migrated or does not match (each is named).

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
            services: results.map((r) => ('error' in r ? { service: r.service, ok: false, kind: r.error.kind, error: redactText(r.error.message) } : { ...r, ok: r.atLatest })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      for (const r of results) {
        if ('error' in r) ctx.stderr(`${r.service}: FAILED (${r.error.kind}): ${redactText(r.error.message)}\n`);
        else if (!r.atLatest) ctx.stderr(`${r.service}: ${describeMismatch(r)}\n`);
        else if (r.tablesRecreated.length > 0)
          ctx.stdout(
            `${r.service}: recreated ${r.tablesRecreated.join(', ')} from the migrations (dropped after they ran); they are empty: restart \`pgcarve run\`, then run \`pgcarve backfill --service ${r.service}\` to copy their rows again\n`,
          );
        else
          ctx.stdout(
            `${r.service}: ${r.databaseCreated ? 'database created, ' : ''}${r.migrationsApplied === 0 ? 'already at the latest migration' : `${r.migrationsApplied} migration(s) applied`} (${r.migrationsTotal} in total)\n`,
          );
      }
    }
    return ok ? EXIT.ok : EXIT.failure;
  },
};

/** A database whose migrations all ran but whose tables differ: what is missing and what to do. */
export function describeMismatch(r: ServiceMigrationReport): string {
  return `DOES NOT MATCH its migrations (${r.migrationsTotal} recorded as applied): ${r.schemaProblems.join('; ')}. migrate does not re-run a migration that is recorded, and will not drop data to repair: recreate what is missing from mappings/*/migrations/*.sql or a backup, or drop the database ${r.database}, run \`pgcarve migrate\` again and restart \`pgcarve run\` (on start it copies what a database without its checkpoint is owed)`;
}
