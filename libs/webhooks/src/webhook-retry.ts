/** A delivery is retried for this long after it was queued, then given up (status failed). At least 24 h (the contract). */
export const GIVE_UP_AFTER_MS = 72 * 3_600_000;

/** An endpoint that has failed every attempt for this long is disabled. */
export const DISABLE_AFTER_MS = 72 * 3_600_000;

/**
 * The delay after failed attempt number `attempt` (1-based): base, 2 x base, 4 x base ... capped
 * at max. No jitter: jitter could make a delay more than double the one before, which the
 * contract forbids; deliveries spread out anyway, since each started at its own time.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 40);
  return Math.min(baseMs * 2 ** exponent, maxMs);
}
