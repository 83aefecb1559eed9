/** How deliveries are retried: exponential backoff with jitter, for a bounded time. */
export interface RetryPolicy {
  /** The wait after the first failure; it doubles at each failure after that. */
  baseMs: number;
  /** The longest wait between two attempts. */
  maxMs: number;
  /** How long after its first attempt a delivery is still tried; then it is dead-lettered. */
  retryForMs: number;
}

/**
 * When a delivery that has just failed its `attempts`-th attempt is tried next, or null
 * when it is past its retry window (dead-lettered). `random` is in [0, 1): the wait is
 * drawn between half and all of the exponential delay ("equal jitter"), so that many
 * deliveries failing together do not retry together.
 */
export function nextAttemptAt(policy: RetryPolicy, firstAttemptAt: number, now: number, attempts: number, random: number): number | null {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempts - 1, 40));
  const at = now + Math.round(exponential / 2 + (exponential / 2) * random);
  return at - firstAttemptAt > policy.retryForMs ? null : at;
}
