export interface BackoffOptions {
  /** The first retry waits between baseMs/2 and baseMs. */
  baseMs: number;
  /** No wait exceeds this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 5 * 60_000 };

/**
 * The wait before retry number `attempt` (0 for the first): exponential with "equal jitter", a
 * random point in [cap/2, cap] where cap = min(maxMs, baseMs·2^attempt). The random half spreads a
 * fleet of phones that lost the server together; the fixed half keeps each one from retrying at once.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/**
 * The wait an HTTP `Retry-After` header asks for, in milliseconds: delta-seconds (`120`) or an
 * HTTP date; undefined when absent or unreadable. Capped at `maxMs` so a wrong header cannot park
 * the uploader for days.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
  maxMs = 15 * 60_000,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    // An HTTP date names its day and month ("Sun, 06 Dec 2026 …"); V8 would read "-5" as a year.
    if (!/[a-z]/i.test(text)) return undefined;
    const at = Date.parse(text);
    if (!Number.isFinite(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(maxMs, Math.max(0, ms));
}

/**
 * Remembers the `Retry-After` of the last 429/503 answer that went through `wrap(fetch)`. The typed
 * client's ApiError carries the status but not the headers, so the uploader reads the hint here:
 * `new FleetApi({ baseUrl, getToken, fetch: hints.wrap(fetch) })`. The uploader sends one request
 * at a time, so "the last answer" is the one it is looking at.
 */
export class ResponseHints {
  private retryAfter: string | null = null;

  wrap(base: typeof fetch): typeof fetch {
    return async (input, init) => {
      const res = await base(input, init);
      this.retryAfter = res.status === 429 || res.status === 503 ? res.headers.get('retry-after') : null;
      return res;
    };
  }

  /** The header of the last answer (null if it had none, or was not a 429/503), then forgotten. */
  takeRetryAfter(): string | null {
    const value = this.retryAfter;
    this.retryAfter = null;
    return value;
  }
}
