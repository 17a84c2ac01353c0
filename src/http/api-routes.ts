import type { Express, NextFunction, Request, Response } from 'express';
import { classify } from '../errors/classify.js';
import { formatLsn, type Lsn } from '../lsn.js';
import type { ServiceName } from '../../mappings/services.js';
import { safeMessage, type StatusView } from './status-view.js';
import { parseSyncTimeout } from './sync-timeout.js';
import { requireToken } from './bearer-token.js';

/** Where one service stands against a fence. */
export interface SyncService {
  readonly service: ServiceName;
  readonly checkpointLsn: string | null;
  readonly behindBytes: number | null;
  readonly writerState: string;
  /** Why it is behind, when known (a stopped writer, an unreachable database). */
  readonly reason: string | null;
}

export interface SyncOutcome {
  readonly reached: boolean;
  readonly services: readonly SyncService[];
}

/** What the API routes need; the composition root supplies it (see sidecar-api.ts). */
export interface ApiDeps {
  readonly metrics: () => Promise<{ readonly contentType: string; readonly text: string }>;
  readonly status: () => Promise<StatusView>;
  /** Writes a fence into the legacy WAL and returns its LSN. */
  readonly fence: () => Promise<Lsn>;
  /** Waits (at most `timeoutMs`, less when `signal` aborts) until every service has applied `fence`. */
  readonly sync: (fence: Lsn, timeoutMs: number, signal: AbortSignal) => Promise<SyncOutcome>;
  /** The bearer token of the writing endpoints (PGCARVE_HTTP_TOKEN); undefined turns them off. */
  readonly token: string | undefined;
}

const SYNC_PARAMETERS = new Set(['timeout']);

/**
 * GET /metrics, GET /status, POST /fence, GET /sync?timeout=SECONDS.
 *
 * /metrics and /status only read (names, counts, positions; no row value) and are open. /fence and
 * /sync write a fence into the legacy WAL: they need the bearer token (see bearer-token.ts).
 *
 * /sync writes a fence and long-polls: 200 with the fence LSN once every service has applied it,
 * 504 with who is behind when the timeout passes (at once when a writer is stopped: it will not
 * catch up), 400 for a bad timeout, 503 when the legacy database cannot take the fence.
 */
export function mountApi(app: Express, deps: ApiDeps): void {
  app.get('/metrics', async (_req: Request, res: Response) => {
    const { contentType, text } = await deps.metrics();
    res.set('Content-Type', contentType).send(text);
  });

  app.get('/status', async (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json(await deps.status());
  });

  /** Writes a fence, or answers 503 saying why it could not (and returns undefined). */
  const fenceOr503 = async (res: Response): Promise<Lsn | undefined> => {
    try {
      return await deps.fence();
    } catch (error) {
      res.status(503).json({ error: safeMessage(classify(error, 'writing a fence into the legacy database').message) });
      return undefined;
    }
  };

  const writes = requireToken(deps.token);

  app.post('/fence', writes, async (_req: Request, res: Response) => {
    const fence = await fenceOr503(res);
    if (fence !== undefined) res.json({ fenceLsn: formatLsn(fence) });
  });

  app.get('/sync', writes, async (req: Request, res: Response) => {
    const unknown = Object.keys(req.query).filter((k) => !SYNC_PARAMETERS.has(k));
    if (unknown.length > 0) {
      res.status(400).json({ error: `unknown query parameter ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}: /sync takes only timeout=SECONDS` });
      return;
    }
    const timeout = parseSyncTimeout(req.query['timeout']);
    if (!timeout.ok) {
      res.status(400).json({ error: timeout.reason });
      return;
    }
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    const fence = await fenceOr503(res);
    if (fence === undefined) return;
    const started = Date.now();
    const outcome = await deps.sync(fence, timeout.seconds * 1000, gone.signal);
    if (gone.signal.aborted) return;
    const body = {
      inSync: outcome.reached,
      fenceLsn: formatLsn(fence),
      waitedSeconds: Math.round((Date.now() - started) / 100) / 10,
      ...(outcome.reached ? {} : { timeoutSeconds: timeout.seconds, behind: outcome.services.filter((s) => s.behindBytes !== 0) }),
      services: outcome.services,
    };
    res.status(outcome.reached ? 200 : 504).set('Cache-Control', 'no-store').json(body);
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: safeMessage(classify(error, 'serving the request').message) });
  });
}
