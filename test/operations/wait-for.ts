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
