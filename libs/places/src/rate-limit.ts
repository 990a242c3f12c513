import type { Redis } from '@fleet/runtime';

// One slot every `interval` ms for every process sharing the key: a call is granted only when the
// previous grant is at least `interval` ms old, on Redis's clock (so the processes' clocks do not
// matter). Answers 0 (granted) or the ms until the next slot.
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nextAt > now then return nextAt - now end
redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000)
return 0
`;

/**
 * The geocoder's rate limit, shared by every API process through Redis: calls are spaced at least
 * 1/rate seconds apart whichever process makes them. When Redis cannot answer, no call is granted
 * (the offline fallback answers), so the limit holds even then.
 */
export class RateLimiter {
  readonly intervalMs: number;

  constructor(
    private readonly redis: Redis,
    ratePerSec: number,
    private readonly key = 'places:geocoder:next',
  ) {
    this.intervalMs = Math.max(1, Math.ceil(1000 / ratePerSec));
  }

  /** 0 when a call may start now (the slot is taken), else how long until the next slot (ms). */
  async tryTake(): Promise<number> {
    try {
      const wait = await this.redis.eval(TAKE_SLOT, 1, this.key, this.intervalMs);
      return Number(wait);
    } catch {
      return this.intervalMs;
    }
  }
}
