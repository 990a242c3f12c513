import type { FailureKind } from './errors';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The wait after the first failure; it doubles after each one… */
  baseMs: number;
  /** …up to this. A receiver's own retry_after is honoured even above it. */
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseMs: 5_000, maxMs: 30 * 60_000 };

/**
 * The wait before attempt `attempt + 1` after `attempt` failed (attempt counts from 1): exponential,
 * capped, with half of it random ("equal jitter") so receivers coming back are not stampeded by every
 * sender at once while the wait still grows.
 */
export function backoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
  random = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * When to try again after attempt `attempt` failed, in ms from now; null to give up (permanent, or
 * attempts used up). A receiver's `retryAfterMs` (Telegram's 429) wins when longer than the backoff.
 */
export function retryDelayMs(
  attempt: number,
  failure: { kind: FailureKind; retryAfterMs?: number },
  policy: RetryPolicy,
  random = Math.random,
): number | null {
  if (failure.kind === 'permanent' || attempt >= policy.maxAttempts) return null;
  return Math.max(backoffMs(attempt, policy, random), failure.retryAfterMs ?? 0);
}
