-- The sidecar upserts many rows in one statement, so a unique value may move between rows
-- within one source transaction (two users swapping emails): the check must wait for the
-- commit. ALTER TABLE ... ALTER CONSTRAINT refuses unique constraints ("is not a foreign key
-- constraint"), so each one is dropped and re-added under the name drizzle knows it by.
-- Upserts arbitrate on the primary key: a deferrable constraint cannot be an ON CONFLICT arbiter.
ALTER TABLE "roles" DROP CONSTRAINT "roles_name_unique", ADD CONSTRAINT "roles_name_unique" UNIQUE ("name") DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_email_unique", ADD CONSTRAINT "users_email_unique" UNIQUE ("email") DEFERRABLE INITIALLY DEFERRED;
