import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Whether `presented` is `expected`, in time that depends on neither (both are hashed to 32 bytes first). */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/**
 * Guards the endpoints that write (POST /fence, GET /sync: both write a fence into the legacy
 * WAL). Without a configured token they are turned off (403), so that an API listening on a
 * network never writes for an anonymous caller; with one, a request needs
 * `Authorization: Bearer <token>` (401 otherwise). The token is never echoed.
 */
export function requireToken(token: string | undefined): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (token === undefined) {
      res.status(403).json({ error: `${req.method} ${req.path} writes into the legacy database and is turned off: set PGCARVE_HTTP_TOKEN (from a Secret) and send it as "Authorization: Bearer <token>", or use the CLI (pgcarve wait-sync)` });
      return;
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !tokenMatches(token, match[1])) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="pgcarve"').json({ error: `${req.method} ${req.path} needs "Authorization: Bearer <token>" with the value of PGCARVE_HTTP_TOKEN` });
      return;
    }
    next();
  };
}
