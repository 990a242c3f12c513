import { backoffDelay, parseRetryAfter, ResponseHints } from './backoff';

describe('backoffDelay', () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it('doubles its ceiling with each attempt and stays within [cap/2, cap]', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const cap = Math.min(60_000, 1000 * 2 ** attempt);
      expect(backoffDelay(attempt, options, () => 0)).toBe(cap / 2);
      expect(backoffDelay(attempt, options, () => 0.999999)).toBeLessThanOrEqual(cap);
      expect(backoffDelay(attempt, options, () => 0.999999)).toBeGreaterThan(cap * 0.99);
    }
  });

  it('spreads retries of many clients over the upper half of the window', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(3, options));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(4000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000);
    // Not all the same: jitter.
    expect(new Set(delays).size).toBeGreaterThan(500);
  });

  it('never exceeds the maximum, even after very many attempts', () => {
    expect(backoffDelay(1000, options, () => 1)).toBe(60_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 11, 6, 12, 0, 0);

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Sun, 06 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or unreadable values and caps absurd ones', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('999999', now, 900_000)).toBe(900_000);
  });
});

describe('ResponseHints', () => {
  it('keeps the Retry-After of a 503 or 429 answer only, and forgets it once read', async () => {
    const answers = [
      new Response('', { status: 503, headers: { 'retry-after': '3' } }),
      new Response('', { status: 500, headers: { 'retry-after': '9' } }),
      new Response('', { status: 429, headers: { 'retry-after': '4' } }),
    ];
    const hints = new ResponseHints();
    const fetch = hints.wrap(async () => answers.shift()!);
    await fetch('http://x/');
    expect(hints.takeRetryAfter()).toBe('3');
    expect(hints.takeRetryAfter()).toBeNull();
    await fetch('http://x/');
    expect(hints.takeRetryAfter()).toBeNull();
    await fetch('http://x/');
    expect(hints.takeRetryAfter()).toBe('4');
  });
});
