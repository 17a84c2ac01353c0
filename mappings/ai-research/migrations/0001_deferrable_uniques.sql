-- The sidecar upserts many rows in one statement, so a unique value may move between rows
-- within one source transaction (two users swapping emails): the check must wait for the
-- commit. ALTER TABLE ... ALTER CONSTRAINT refuses unique constraints ("is not a foreign key
-- constraint"), so each one is dropped and re-added under the name drizzle knows it by.
-- Upserts arbitrate on the primary key: a deferrable constraint cannot be an ON CONFLICT arbiter.
ALTER TABLE "assistant_memory" DROP CONSTRAINT "assistant_memory_user_id_key_unique", ADD CONSTRAINT "assistant_memory_user_id_key_unique" UNIQUE ("user_id", "key") DEFERRABLE INITIALLY DEFERRED;
