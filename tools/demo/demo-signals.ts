import { constants } from 'node:os';
import { killLiveClusters } from '../embedded/embedded-cluster.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The demo's answer to the ways a terminal ends it: Ctrl-C (SIGINT), `kill`/`timeout` (SIGTERM),
 * a closed terminal (SIGHUP). The first calls `stop` (the demo stops the sidecar, the workload and
 * its PostgreSQL, and removes the directory); a second one kills the embedded PostgreSQL at once
 * and exits (128 + the signal's number). Without a handler Node would die of SIGHUP without its
 * exit hook, leaving the server running. Returns a function that removes the handlers.
 */
export function stopOnSignals(stop: () => void): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) {
      stop();
      return;
    }
    killLiveClusters();
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}
