import type { Server } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';

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

/** Listens on `port` (0 = any free port). Resolves with the server and the port it got. */
export async function listen(app: Express, port: number, host = '0.0.0.0'): Promise<{ readonly server: Server; readonly port: number }> {
  return await new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) {
        reject(error);
        return;
      }
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
    server.on('error', reject);
  });
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
