import { defineConfig } from 'drizzle-kit';

/** drizzle-kit config for this service's migrations; run from the package root (npm run db:generate). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './mappings/ai-research/schema.ts',
  out: './mappings/ai-research/migrations',
});
