import type { Redis } from '@fleet/runtime';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';

const tooMany = (res: RateLimiterRes) => {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError(429, 'rate_limited', `too many sign-in attempts; retry in ${seconds} s`, undefined, {
    'Retry-After': String(seconds),
  });
};

/**
 * Sign-in limits kept in Redis, so they hold across API replicas: attempts per client IP, and failed
 * attempts per account (a correct password clears the account's count).
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

  /** Counts an attempt from this IP; refuses when the IP or the account is over its limit. */
  async attempt(ip: string, account: string): Promise<void> {
    try {
      await this.perIp.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err);
      throw err;
    }
    const state = await this.perAccount.get(account.toLowerCase());
    if (state && state.consumedPoints >= this.perAccount.points) throw tooMany(state);
  }

  async failed(account: string): Promise<void> {
    await this.perAccount.penalty(account.toLowerCase(), 1);
  }

  async succeeded(account: string): Promise<void> {
    await this.perAccount.delete(account.toLowerCase());
  }
}
