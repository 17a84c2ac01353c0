-- The sidecar upserts many rows in one statement, so a unique value may move between rows
-- within one source transaction (two users swapping emails): the check must wait for the
-- commit. ALTER TABLE ... ALTER CONSTRAINT refuses unique constraints ("is not a foreign key
-- constraint"), so each one is dropped and re-added under the name drizzle knows it by.
-- Upserts arbitrate on the primary key: a deferrable constraint cannot be an ON CONFLICT arbiter.
ALTER TABLE "free_zones" DROP CONSTRAINT "free_zones_slug_unique", ADD CONSTRAINT "free_zones_slug_unique" UNIQUE ("slug") DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE "business_activities" DROP CONSTRAINT "business_activities_free_zone_id_code_unique", ADD CONSTRAINT "business_activities_free_zone_id_code_unique" UNIQUE ("free_zone_id", "code") DEFERRABLE INITIALLY DEFERRED;
