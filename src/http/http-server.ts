import type { Server } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import { PgcarveError } from '../errors/pgcarve-error.js';

/** What the HTTP API reads; the composition root supplies it. */
export interface HttpDeps {
  readonly ready: () => boolean;
  /** Extra routes (metrics, status, fence, sync) mounted by the composition root. */
  readonly routes?: (app: Express) => void;
}

export function createApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req: Request, res: Response) => {
    const ready = deps.ready();
    res.status(ready ? 200 : 503).json({ ready });
  });
  deps.routes?.(app);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found: the API serves /metrics, /healthz, /readyz, /status, POST /fence and GET /sync' });
  });
  return app;
}

/** Why the HTTP port could not be had, for the operator: which address, which keys to change. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown }).code;
  const where = `${host}:${port}`;
  const keys = 'PGCARVE_HTTP_PORT (or PGCARVE_HTTP_HOST)';
  if (code === 'EADDRINUSE') return new PgcarveError('port_unavailable', `the HTTP port ${where} is already in use (another pgcarve, or another program): stop it, or set ${keys} to a free port`, { cause: error });
  if (code === 'EACCES') return new PgcarveError('port_unavailable', `may not listen on ${where} (ports below 1024 need privileges): set ${keys} to a port from 1024 up`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new PgcarveError('port_unavailable', `cannot listen on ${where}: ${host} is not an address of this machine; set PGCARVE_HTTP_HOST to one (127.0.0.1, 0.0.0.0)`, { cause: error });
  return error;
}

/**
 * Listens on `port` (0 = any free port). Resolves with the server and the port it got; rejects
 * with a `port_unavailable` PgcarveError that names the address and the key to change.
 */
export async function listen(app: Express, port: number, host = '127.0.0.1'): Promise<{ readonly server: Server; readonly port: number }> {
  return await new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) {
        reject(listenError(error, host, port));
        return;
      }
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
    server.on('error', (error) => reject(listenError(error, host, port)));
  });
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
