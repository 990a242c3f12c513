import { createDb, schema, type Database, type Pool } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import type { Redis } from '@fleet/runtime';
import { eq, sql } from 'drizzle-orm';
import { unavailable } from '../errors';

const { pushTokens, users } = schema;

/**
 * A version no token carries: the cached value for a deleted user (versions only rise, so it also
 * wins every race with a stale write-back).
 */
export const GONE = 2 ** 31 - 1;
/** Cached versions expire: a bump missed while Redis was away heals within this time. */
const CACHE_SECONDS = 60;

// Raises the cached version, never lowers it: a lookup that read PostgreSQL just before a bump and
// writes its (older) answer back just after cannot undo the bump.
const RAISE = `
local current = tonumber(redis.call('GET', KEYS[1]))
local wanted = tonumber(ARGV[1])
if current == nil or current < wanted then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return wanted
end
return current`;

type RaisingRedis = Redis & { raiseSessionVersion(key: string, version: string, ttl: string): Promise<number> };

/**
 * Immediate revocation. Each access token carries its user's session version (`sv`); disabling,
 * deleting, demoting a user or changing their password raises `users.session_version`, so every
 * token issued before is refused on its next use. The current version is read from Redis
 * (`auth:sv:<user>`, one GET per request) and from PostgreSQL when Redis lacks it or is down.
 * A raise is also published on `auth:revoked` so every API process ends that user's live streams.
 */
export class SessionVersions {
  private readonly redis: RaisingRedis;
  private readonly db: Database;
  private listener?: Redis;

  constructor(private readonly options: { pool: Pool; redis: Redis; logger: Logger }) {
    this.db = createDb(options.pool);
    if (typeof (options.redis as unknown as Record<string, unknown>)['raiseSessionVersion'] !== 'function')
      options.redis.defineCommand('raiseSessionVersion', { numberOfKeys: 1, lua: RAISE });
    this.redis = options.redis as RaisingRedis;
  }

  /** The channel, with the Redis key prefix (ioredis does not prefix channels). */
  get channel(): string {
    return `${this.redis.options.keyPrefix ?? ''}auth:revoked`;
  }

  /** Whether `version` is the user's current session version. */
  async isCurrent(userId: string, version: number): Promise<boolean> {
    return (await this.current(userId)) === version;
  }

  /** The user's session version; GONE for a deleted or disabled user. */
  async current(userId: string): Promise<number> {
    // Redis away (reconnecting): straight to PostgreSQL rather than waiting for the reconnection.
    if (this.redis.status === 'ready')
      try {
        const cached = await this.redis.get(key(userId));
        if (cached !== null) return Number(cached);
      } catch (err) {
        this.options.logger.warn('session versions: redis unavailable, reading PostgreSQL', { err });
      }
    let row: { version: number; disabled: boolean } | undefined;
    try {
      [row] = await this.db
        .select({ version: users.sessionVersion, disabled: sql<boolean>`${users.disabledAt} IS NOT NULL` })
        .from(users)
        .where(eq(users.id, userId));
    } catch (err) {
      this.options.logger.warn('session versions: postgres unavailable', { err });
      throw unavailable('cannot check the session right now, retry', 1);
    }
    // A disabled user is not cached as such: enabling them again must not have to lower the cache.
    if (row?.disabled) return GONE;
    const version = row?.version ?? GONE;
    await this.cache(userId, version);
    return version;
  }

  /**
   * Raises the user's session version (in the caller's transaction: `createDb(client)`) and returns
   * the new value. Call `announce` after the commit.
   */
  async raise(db: Database, userId: string): Promise<number | undefined> {
    const [row] = await db
      .update(users)
      .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(eq(users.id, userId))
      .returning({ version: users.sessionVersion });
    await this.forgetDevices(db, userId);
    return row?.version;
  }

  /**
   * With the user's sessions, their phones' push registrations end (in the same transaction): a phone
   * signed out everywhere is no longer told about the fleet. The app registers again once signed in.
   */
  async forgetDevices(db: Database, userId: string): Promise<void> {
    await db.delete(pushTokens).where(eq(pushTokens.userId, userId));
  }

  /**
   * After a committed raise (or a deletion: GONE): caches the new version and tells every API
   * process, whose live streams of that user end. Redis errors are logged, not thrown: the change is
   * committed, and the cache heals within CACHE_SECONDS.
   */
  async announce(userId: string, version: number): Promise<void> {
    try {
      await this.cache(userId, version, { throwing: true });
      await this.redis.publish(this.channel, userId);
    } catch (err) {
      this.options.logger.warn('session versions: could not announce a revocation', { err, userId });
    }
  }

  /** Calls `onRevoked(userId)` for every announcement, from any API process. */
  async listen(onRevoked: (userId: string) => void): Promise<void> {
    const sub = (this.listener ??= this.redis.duplicate({ connectionName: 'fleet-auth-revocations' }));
    sub.on('error', (err: Error) => this.options.logger.warn('session versions: listener connection', { err }));
    sub.on('message', (channel: string, userId: string) => {
      if (channel === this.channel) onRevoked(userId);
    });
    await sub.subscribe(this.channel);
  }

  close(): void {
    // No QUIT: with Redis away it would wait for a reconnection that may never come.
    this.listener?.disconnect();
  }

  private async cache(userId: string, version: number, options: { throwing?: boolean } = {}): Promise<void> {
    if (!options.throwing && this.redis.status !== 'ready') return;
    try {
      await this.redis.raiseSessionVersion(key(userId), String(version), String(CACHE_SECONDS));
    } catch (err) {
      if (options.throwing) throw err;
    }
  }
}

const key = (userId: string) => `auth:sv:${userId}`;
