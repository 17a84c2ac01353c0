import { withClient } from './bench-cluster.js';

/**
 * A replication backlog: N row changes over the legacy tables that map 1:1 (so that native
 * logical replication can carry them too), in the mix an application makes: many small
 * transactions (a conversation with two messages and an activity log row; an edit of the last
 * message; a log row moved in or out of the scraper filter; an old message deleted) and a few
 * large ones (a bulk import of log rows, a bulk update and a bulk delete of part of them).
 * Half the log rows match the scraper filter, so a filtering consumer drops the other half.
 */
export interface Backlog {
  /** Row changes written (inserts + updates + deletes). */
  readonly changes: number;
  readonly transactions: number;
  readonly elapsedMs: number;
}

const SMALL_TRANSACTIONS_PROCEDURE = `
CREATE OR REPLACE PROCEDURE public.pgcarve_bench_small_transactions(n int, tag text)
LANGUAGE plpgsql AS $$
DECLARE
  conv uuid; m1 bigint; m2 bigint; a bigint;
  prev_m bigint := NULL; prev2_m bigint := NULL; prev_a bigint := NULL;
BEGIN
  FOR i IN 1..n LOOP
    conv := gen_random_uuid();
    INSERT INTO public.conversations (id, user_id, title, model, created_at, updated_at)
      VALUES (conv, NULL, tag || ' chat ' || i, 'bench-model', now(), now());
    INSERT INTO public.messages (conversation_id, role, content, tokens, created_at)
      VALUES (conv, 'user', repeat('question ' || i || ' ', 20), 40, now()) RETURNING id INTO m1;
    INSERT INTO public.messages (conversation_id, role, content, tokens, created_at)
      VALUES (conv, 'assistant', repeat('answer ' || i || ' ', 40), 80, now()) RETURNING id INTO m2;
    INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
      VALUES (NULL, 'chat', CASE WHEN i % 2 = 0 THEN 'scraper_task' ELSE 'conversation' END, conv::text, jsonb_build_object('i', i, 'tag', tag), now())
      RETURNING id INTO a;
    IF prev_m IS NOT NULL THEN
      UPDATE public.messages SET content = content || ' (edited)', tokens = tokens + 1 WHERE id = prev_m;
      UPDATE public.activity_logs SET entity = CASE WHEN entity = 'scraper_task' THEN 'conversation' ELSE 'scraper_task' END WHERE id = prev_a;
      DELETE FROM public.messages WHERE id = prev2_m;
    END IF;
    prev2_m := m1; prev_m := m2; prev_a := a;
    COMMIT;
  END LOOP;
END $$`;

/** Writes a backlog of about `changes` row changes into the legacy database; `tag` makes its rows distinct. */
export async function writeBacklog(legacyUrl: string, changes: number, tag: string): Promise<Backlog> {
  const started = performance.now();
  const small = Math.max(2, Math.round((changes * 0.4) / 7));
  const bulk = Math.max(4, Math.round(changes * 0.4));
  return await withClient(legacyUrl, async (c) => {
    await c.query(SMALL_TRANSACTIONS_PROCEDURE);
    await c.query('CALL public.pgcarve_bench_small_transactions($1, $2)', [small, tag]);
    let written = 4 * small + 3 * (small - 1);
    const inserted = await c.query(
      `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
       SELECT NULL, 'import', CASE WHEN g % 2 = 0 THEN 'scraper_result' ELSE 'document' END, g::text,
              jsonb_build_object('g', g, 'tag', $1::text, 'source', 'bulk import'), now()
       FROM generate_series(1, $2::int) AS g`,
      [tag, bulk],
    );
    written += inserted.rowCount ?? 0;
    const updated = await c.query(`UPDATE public.activity_logs SET action = 'reimport', details = details || '{"again": true}' WHERE details->>'tag' = $1 AND action = 'import' AND id % 4 = 0`, [tag]);
    written += updated.rowCount ?? 0;
    const deleted = await c.query(`DELETE FROM public.activity_logs WHERE details->>'tag' = $1 AND action = 'import' AND id % 4 = 1`, [tag]);
    written += deleted.rowCount ?? 0;
    return { changes: written, transactions: small + 3, elapsedMs: performance.now() - started };
  });
}
