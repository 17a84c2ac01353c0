/** A terminal's stdin, as far as a key press needs it. */
export interface KeyInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Resolves with 'key' on any key press, or 'interrupt' on Ctrl-C (in raw mode the terminal sends
 * it as a byte, not as SIGINT). Resolves 'aborted' when `signal` aborts. Never resolves for a
 * non-terminal input. Raw mode and the paused stream are restored in every case.
 */
export function waitForKey(input: KeyInput, signal: AbortSignal): Promise<'key' | 'interrupt' | 'aborted'> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
  }
  return new Promise((resolve) => {
    const finish = (result: 'key' | 'interrupt' | 'aborted'): void => {
      input.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      input.setRawMode?.(false);
      input.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer | string): void => finish(String(chunk).includes('\u0003') ? 'interrupt' : 'key');
    const onAbort = (): void => finish('aborted');
    if (signal.aborted) {
      resolve('aborted');
      return;
    }
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
