import type { Redis } from '@fleet/runtime';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors';

const tooMany = (res: RateLimiterRes) => {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return rateLimited(`too many sign-in attempts; retry in ${seconds} s`, seconds);
};

/**
 * Sign-in limits kept in Redis, so they hold across API replicas: attempts per client IP, and
 * password checks per account. Both are consumed *before* the password is checked (one atomic
 * increment with its expiry in Redis), so parallel guesses cannot all slip in under a count read
 * earlier: whatever the concurrency, at most `maxFailuresPerAccount` passwords are checked per
 * account and window. A correct password clears the account's count; while it is over, even the
 * right password is refused (429 with Retry-After).
 */
export class LoginLimiter {
  private readonly perIp: RateLimiterRedis;
  private readonly perAccount: RateLimiterRedis;

  constructor(
    redis: Redis,
    options: { maxAttemptsPerIp: number; maxFailuresPerAccount: number; windowSeconds: number },
  ) {
    // With Redis away, each replica falls back to counting in its own memory rather than refusing
    // every sign-in.
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration: options.windowSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: options.windowSeconds }),
      });
    this.perIp = limiter('rl:login-ip', options.maxAttemptsPerIp);
    this.perAccount = limiter('rl:login-account', options.maxFailuresPerAccount);
  }

  /**
   * Takes one attempt from this IP and one password check from the account; refuses (429) when
   * either is used up. Call before checking the password.
   */
  async attempt(ip: string, account: string): Promise<void> {
    await consume(this.perIp, ip);
    await consume(this.perAccount, account.toLowerCase());
  }

  /** A correct password: the account's checks start over. */
  async succeeded(account: string): Promise<void> {
    await this.perAccount.delete(account.toLowerCase());
  }
}

async function consume(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooMany(err);
    throw err;
  }
}
