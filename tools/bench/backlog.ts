import { withClient } from './bench-cluster.js';

/**
 * Replication backlogs over the legacy tables that map 1:1 (so that native logical replication
 * can carry them too), written while every consumer is stopped.
 */
export interface Backlog {
  /** Row changes written (inserts + updates + deletes). */
  readonly changes: number;
  readonly transactions: number;
  readonly elapsedMs: number;
}

/** Row changes per small transaction (writeSmallTransactions). */
export const SMALL_TRANSACTION_CHANGES = 6;

/**
 * One small transaction touches 4 services with 6 changes: a conversation and its first message
 * (ai_research_db), an edit of the previous transaction's message (ai_research_db), a scraper
 * activity log row (scraper_db), a submission's status (document_db) and a guide's estimated days
 * (freezone_db), as an application's request would. The first transaction has no previous message
 * and edits its own.
 */
const SMALL_TRANSACTIONS_PROCEDURE = `
CREATE OR REPLACE PROCEDURE public.pgcarve_bench_small_transactions(n int, tag text)
LANGUAGE plpgsql AS $$
DECLARE
  conv uuid; m bigint; prev_m bigint := NULL;
  submissions bigint[]; guides int[];
BEGIN
  SELECT array_agg(id ORDER BY id) INTO submissions FROM (SELECT id FROM public.template_submissions ORDER BY id LIMIT 1000) s;
  SELECT array_agg(id ORDER BY id) INTO guides FROM (SELECT id FROM public.establishment_guides ORDER BY id LIMIT 1000) g;
  IF submissions IS NULL OR guides IS NULL THEN
    RAISE EXCEPTION 'the bench backlog needs seeded template_submissions and establishment_guides';
  END IF;
  FOR i IN 1..n LOOP
    conv := gen_random_uuid();
    INSERT INTO public.conversations (id, user_id, title, model, created_at, updated_at)
      VALUES (conv, NULL, tag || ' chat ' || i, 'bench-model', now(), now());
    INSERT INTO public.messages (conversation_id, role, content, tokens, created_at)
      VALUES (conv, 'user', repeat('question ' || i || ' ', 20), 40, now()) RETURNING id INTO m;
    UPDATE public.messages SET content = content || ' (edited)', tokens = tokens + 1 WHERE id = coalesce(prev_m, m);
    INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
      VALUES (NULL, 'chat', 'scraper_task', conv::text, jsonb_build_object('i', i, 'tag', tag), now());
    UPDATE public.template_submissions SET status = CASE WHEN status = 'submitted' THEN 'approved' ELSE 'submitted' END
      WHERE id = submissions[1 + i % array_length(submissions, 1)];
    UPDATE public.establishment_guides SET estimated_days = coalesce(estimated_days, 0) % 90 + 1
      WHERE id = guides[1 + i % array_length(guides, 1)];
    prev_m := m;
    COMMIT;
  END LOOP;
END $$`;

/** Writes `transactions` small transactions of 6 changes each across 4 services. */
export async function writeSmallTransactions(legacyUrl: string, transactions: number, tag: string): Promise<Backlog> {
  const started = performance.now();
  return await withClient(legacyUrl, async (c) => {
    await c.query(SMALL_TRANSACTIONS_PROCEDURE);
    await c.query('CALL public.pgcarve_bench_small_transactions($1, $2)', [transactions, tag]);
    return { changes: SMALL_TRANSACTION_CHANGES * transactions, transactions, elapsedMs: performance.now() - started };
  });
}

/** Writes one transaction inserting `rows` activity log rows, half of them in the scraper filter. */
export async function writeLargeTransaction(legacyUrl: string, rows: number, tag: string): Promise<Backlog> {
  const started = performance.now();
  return await withClient(legacyUrl, async (c) => {
    const inserted = await c.query(
      `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
       SELECT NULL, 'import', CASE WHEN g % 2 = 0 THEN 'scraper_result' ELSE 'document' END, g::text,
              jsonb_build_object('g', g, 'tag', $1::text, 'source', 'bulk import'), now()
       FROM generate_series(1, $2::int) AS g`,
      [tag, rows],
    );
    return { changes: inserted.rowCount ?? 0, transactions: 1, elapsedMs: performance.now() - started };
  });
}
