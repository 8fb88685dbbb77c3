import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until `done` holds: for states that settle asynchronously (a
 * reconnect, a job finishing). Fails with the last value seen, never on timing alone.
 */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(summary(last))}`);
    }
    await sleep(everyMs);
  }
}

function summary(value: unknown): unknown {
  if (value && typeof value === 'object' && 'status' in value && 'body' in value) {
    const { status, body } = value as { status: unknown; body: unknown };
    return { status, body };
  }
  return value;
}

/**
 * waitFor for a probe that answers undefined until the state is reached; fails naming `what`.
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string | (() => string),
  everyMs = 150,
): Promise<T> {
  try {
    return (await waitFor(probe, (value) => value !== undefined, timeoutMs, everyMs)) as T;
  } catch {
    throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
  }
}
