import os from 'node:os';
import type { Logger } from '@fleet/logging-json';
import type { Redis } from '@fleet/runtime';

/** Seconds a presence key lives without a refresh (a crashed process's devices go offline after it). */
export const PRESENCE_TTL_S = 90;
const REFRESH_MS = 30_000;

/** Deletes the key only while it still names this process: the device may have reconnected elsewhere. */
const DELETE_IF_OURS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
/** Refreshes the key unless another process took it over (the device reconnected there). */
const REFRESH_IF_OURS =
  "local v = redis.call('GET', KEYS[1]) if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end return 0";

export const presenceKey = (vehicleId: string) => `trackers:online:${vehicleId}`;

/**
 * Which vehicles have a device connected to this process, for the command queue to find them:
 * `trackers:online:<vehicleId>` = `<host>:<pid>` while connected, refreshed every 30 s, deleted on
 * close. Several connections of one vehicle (a reconnect before the old socket is noticed dead) count
 * as one.
 */
export class Presence {
  readonly owner = `${os.hostname()}:${process.pid}`;
  private readonly online = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  connected(vehicleId: string): void {
    const count = this.online.get(vehicleId) ?? 0;
    this.online.set(vehicleId, count + 1);
    // A newer connection (here or on another process) owns the key from now on.
    this.redis
      .set(presenceKey(vehicleId), this.owner, 'EX', PRESENCE_TTL_S)
      .catch((err: unknown) => this.logger.warn('presence: cannot mark a vehicle online', { vehicleId, err }));
  }

  disconnected(vehicleId: string): Promise<void> {
    const count = (this.online.get(vehicleId) ?? 1) - 1;
    if (count > 0) {
      this.online.set(vehicleId, count);
      return Promise.resolve();
    }
    this.online.delete(vehicleId);
    const done: Promise<void> = this.redis
      .eval(DELETE_IF_OURS, 1, presenceKey(vehicleId), this.owner)
      .then(
        () => undefined,
        (err: unknown) => {
          this.logger.warn('presence: cannot mark a vehicle offline', { vehicleId, err });
        },
      )
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
    return done;
  }

  /** Every 30 s (tests call it directly). */
  async refresh(): Promise<void> {
    if (!this.online.size || this.redis.status !== 'ready') return;
    const batch = this.redis.pipeline();
    for (const vehicleId of this.online.keys())
      batch.eval(REFRESH_IF_OURS, 1, presenceKey(vehicleId), this.owner, PRESENCE_TTL_S);
    await batch.exec().catch((err: unknown) => this.logger.warn('presence: refresh failed', { err }));
  }

  /** Stops refreshing and waits for the deletions in flight (before Redis is closed). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
  }
}
