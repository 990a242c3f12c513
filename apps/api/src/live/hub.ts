import { randomUUID } from 'node:crypto';
import { LIVE_EVENT, type LiveEventName, type LiveMessage } from '@fleet/contracts';
import { compareLiveIds, isLiveId, LiveSubscriber, liveLogKey, readLiveLog, type LiveEnvelope } from '@fleet/live';
import type { Logger } from '@fleet/logging-json';
import type { Redis } from '@fleet/runtime';
import client from 'prom-client';
import { invalid, rateLimited, unavailable } from '../errors';
import { OrgFanout } from './fanout';
import { sseFrame, type SseStream } from './sse';

export type StreamKind = 'user' | 'shared';

export interface LiveHubOptions {
  redis: Redis;
  registry: client.Registry;
  logger: Logger;
  maxClients: number;
  sharedStreamsPerIp: number;
  /** Signed-in streams one user may hold open on this process, and one organization. */
  maxPerUser: number;
  maxPerOrg: number;
  /** Whether a user's session version is still current (revocation); checked on announcements and every `sessionCheckMs`. */
  isCurrent?: (userId: string, sessionVersion: number) => Promise<boolean>;
  sessionCheckMs?: number;
}

/** Who opened a signed-in stream. */
export interface StreamOwner {
  user: string;
  org: string;
  /** The session version of the token that opened it. */
  sv: number;
}

export interface FeedOptions {
  org: string;
  /**
   * What this client gets of a message (event name and data), or undefined to skip it. Without it the
   * client gets every message as published, and once live it is served from the organization's shared
   * batches (`OrgFanout`: framed and encoded once for all such streams of this process).
   */
  select?(message: LiveMessage): { event: LiveEventName; data: unknown } | undefined;
  /** Resume point (`Last-Event-ID`): the log after it is replayed before live messages. */
  lastEventId?: string;
  /** Runs once the stream is open and caught up, before live messages flow (a first snapshot). */
  beforeLive?(): Promise<void>;
}

/**
 * Signed-in streams open across every API process, per user and per organization: sorted sets of
 * stream ids scored by the end of their lease. Each process renews its streams' leases; a crashed
 * process's streams drop out when their lease ends.
 */
const STREAM_LEASE_MS = 60_000;
const userStreamsKey = (user: string) => `live:streams:user:${user}`;
const orgStreamsKey = (org: string) => `live:streams:org:${org}`;
// KEYS: user set, org set. ARGV: now, lease end, max per user, max per org, stream id.
// 0 admitted, 1 the user is at their limit, 2 the organization is.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ${STREAM_LEASE_MS})
redis.call('PEXPIRE', KEYS[2], ${STREAM_LEASE_MS})
return 0`;
type ClaimingRedis = Redis & {
  claimLiveStream(
    userKey: string,
    orgKey: string,
    now: string,
    leaseEnd: string,
    maxUser: string,
    maxOrg: string,
    id: string,
  ): Promise<number>;
};

/** Messages replayed for one resume at most; the log is capped below this anyway. */
const MAX_REPLAY = 20_000;
const PAGE = 1_000;

/**
 * The live streams of this API process: one Redis subscriber connection for all of them, the
 * count of open streams (a gauge, and a cap), and `closeAll` for the drain, since a stream would
 * otherwise keep the process "in flight" until the grace period runs out.
 */
export class LiveHub {
  readonly subscriber: LiveSubscriber;
  private readonly streams = new Set<SseStream>();
  private readonly sharedPerIp = new Map<string, number>();
  private readonly byUser = new Map<string, Map<SseStream, number>>();
  private readonly perOrg = new Map<string, number>();
  private readonly clients: client.Gauge<'kind'>;
  private readonly sweep?: NodeJS.Timeout;
  private readonly renewal: NodeJS.Timeout;
  /** This process's signed-in streams with their id in the shared per-user/per-organization sets. */
  private readonly claims = new Map<SseStream, { id: string; owner: StreamOwner }>();
  /** Per organization, the shared batches of its unfiltered live streams (while it has some). */
  private readonly fanouts = new Map<string, OrgFanout>();
  /** Per user, what their open streams do when the user is announced as changed (`watchUser`). */
  private readonly watchers = new Map<string, Set<() => void>>();
  private draining = false;

  constructor(private readonly options: LiveHubOptions) {
    this.subscriber = new LiveSubscriber({
      redis: options.redis,
      onError: (err, context) => options.logger.warn(`live: ${context}`, { err }),
    });
    this.clients = new client.Gauge({
      name: 'live_sse_clients',
      help: 'Server-Sent Events streams open on this process, by kind (user: /api/v1/live, shared: share links)',
      labelNames: ['kind'] as const,
      registers: [options.registry],
    });
    this.clients.set({ kind: 'user' }, 0);
    this.clients.set({ kind: 'shared' }, 0);
    if (typeof (options.redis as unknown as Record<string, unknown>)['claimLiveStream'] !== 'function')
      options.redis.defineCommand('claimLiveStream', { numberOfKeys: 2, lua: CLAIM });
    this.renewal = setInterval(() => void this.renewClaims(), STREAM_LEASE_MS / 3);
    this.renewal.unref();
    // Announcements of revocations can be missed (subscriber reconnecting): a periodic check of every
    // user with an open stream bounds how long a revoked session keeps streaming.
    if (options.isCurrent && options.sessionCheckMs) {
      this.sweep = setInterval(() => {
        for (const user of this.byUser.keys()) void this.recheck(user);
      }, options.sessionCheckMs);
      this.sweep.unref();
    }
  }

  /**
   * Admits a new stream or refuses it: 503 when this process is full or draining; 429 per IP
   * (shared streams), per user and per organization (signed-in streams), so one user cannot take
   * every slot.
   */
  admit(stream: SseStream, kind: 'shared', ip: string): void;
  admit(stream: SseStream, kind: 'user', ip: string, owner: StreamOwner): void;
  admit(stream: SseStream, kind: StreamKind, ip: string, owner?: StreamOwner): void {
    if (this.draining) throw unavailable('server is shutting down, retry', 1);
    if (this.streams.size >= this.options.maxClients)
      throw unavailable('too many live streams on this server, retry', 5);
    if (kind === 'shared') {
      const open = this.sharedPerIp.get(ip) ?? 0;
      if (open >= this.options.sharedStreamsPerIp) {
        throw rateLimited('too many open shared streams from this address', 30);
      }
      this.sharedPerIp.set(ip, open + 1);
    }
    if (owner) {
      const mine = this.byUser.get(owner.user);
      if ((mine?.size ?? 0) >= this.options.maxPerUser) throw tooManyFor('user');
      if ((this.perOrg.get(owner.org) ?? 0) >= this.options.maxPerOrg) throw tooManyFor('organization');
      if (mine) mine.set(stream, owner.sv);
      else this.byUser.set(owner.user, new Map([[stream, owner.sv]]));
      this.perOrg.set(owner.org, (this.perOrg.get(owner.org) ?? 0) + 1);
    }
    this.streams.add(stream);
    this.clients.inc({ kind });
    stream.onClose(() => {
      this.streams.delete(stream);
      this.clients.dec({ kind });
      if (kind === 'shared') {
        const left = (this.sharedPerIp.get(ip) ?? 1) - 1;
        if (left > 0) this.sharedPerIp.set(ip, left);
        else this.sharedPerIp.delete(ip);
      }
      if (owner) {
        const mine = this.byUser.get(owner.user);
        mine?.delete(stream);
        if (mine?.size === 0) this.byUser.delete(owner.user);
        const left = (this.perOrg.get(owner.org) ?? 1) - 1;
        if (left > 0) this.perOrg.set(owner.org, left);
        else this.perOrg.delete(owner.org);
      }
    });
  }

  /**
   * The limits per user and per organization across every API process sharing this Redis (`admit`
   * checked this process's own counts): 429 beyond. With Redis away, this process's counts stand.
   */
  async claim(stream: SseStream, owner: StreamOwner): Promise<void> {
    if (this.options.redis.status !== 'ready') return;
    const id = randomUUID();
    const now = Date.now();
    let verdict: number;
    try {
      verdict = await (this.options.redis as ClaimingRedis).claimLiveStream(
        userStreamsKey(owner.user),
        orgStreamsKey(owner.org),
        String(now),
        String(now + STREAM_LEASE_MS),
        String(this.options.maxPerUser),
        String(this.options.maxPerOrg),
        id,
      );
    } catch (err) {
      this.options.logger.warn('live: cannot count streams across processes', { err });
      return;
    }
    if (verdict === 1) throw tooManyFor('user');
    if (verdict === 2) throw tooManyFor('organization');
    this.claims.set(stream, { id, owner });
    stream.onClose(() => {
      this.claims.delete(stream);
      this.options.redis
        .multi()
        .zrem(userStreamsKey(owner.user), id)
        .zrem(orgStreamsKey(owner.org), id)
        .exec()
        .catch((err: unknown) => this.options.logger.warn('live: cannot release a stream slot', { err }));
    });
  }

  private async renewClaims(): Promise<void> {
    if (!this.claims.size || this.options.redis.status !== 'ready') return;
    const leaseEnd = Date.now() + STREAM_LEASE_MS;
    const batch = this.options.redis.pipeline();
    for (const { id, owner } of this.claims.values()) {
      batch.zadd(userStreamsKey(owner.user), leaseEnd, id).pexpire(userStreamsKey(owner.user), STREAM_LEASE_MS);
      batch.zadd(orgStreamsKey(owner.org), leaseEnd, id).pexpire(orgStreamsKey(owner.org), STREAM_LEASE_MS);
    }
    await batch.exec().catch((err: unknown) => this.options.logger.warn('live: cannot renew stream leases', { err }));
  }

  /**
   * A user's session may have been revoked (announced by any API process): their streams opened
   * with a session version that is no longer current end now, with a `revoked` event.
   */
  async recheck(userId: string): Promise<void> {
    const mine = this.byUser.get(userId);
    // Announced changes that revoke nothing (the user's vehicle groups): each stream re-reads its scope.
    for (const watcher of this.watchers.get(userId) ?? []) watcher();
    if (!mine || !this.options.isCurrent) return;
    const versions = new Set(mine.values());
    for (const sv of versions) {
      let current: boolean;
      try {
        current = await this.options.isCurrent(userId, sv);
      } catch (err) {
        this.options.logger.warn('live: session check failed', { err });
        continue;
      }
      if (current) continue;
      for (const [stream, streamSv] of [...mine])
        if (streamSv === sv)
          stream.end({ event: LIVE_EVENT.revoked, data: { reason: 'access revoked; sign in again' } });
    }
  }

  /** Calls `onChange` whenever `userId` is announced (see `recheck`) while `stream` is open. */
  watchUser(userId: string, stream: SseStream, onChange: () => void): void {
    let set = this.watchers.get(userId);
    if (!set) this.watchers.set(userId, (set = new Set()));
    set.add(onChange);
    stream.onClose(() => {
      set.delete(onChange);
      if (set.size === 0 && this.watchers.get(userId) === set) this.watchers.delete(userId);
    });
  }

  /**
   * Feeds an admitted stream with an organization's live messages: subscribe first (messages
   * arriving from then on are held), open the stream, replay the log after `lastEventId`, then
   * release what was held, skipping ids already sent: no gap, no duplicate.
   */
  async feed(stream: SseStream, options: FeedOptions): Promise<void> {
    // Only a resume can overlap (log replay vs held messages): `cursor` is the newest id sent while
    // catching up. Once a live message passes it, the subscriber's strictly rising ids take over.
    let cursor = options.lastEventId;
    let held: LiveEnvelope[] | undefined = [];
    const forward = (e: LiveEnvelope) => {
      if (cursor !== undefined) {
        if (compareLiveIds(e.id, cursor) <= 0) return;
        cursor = held === undefined ? undefined : e.id;
      }
      const out = options.select ? options.select(e.message) : { event: e.message.type, data: e.message.data };
      if (!out) return;
      // Live, a vehicle's newer position replaces its older one still waiting for the stream's next
      // write; a replay (and what was held during it) goes out whole.
      const supersedes =
        held === undefined && e.message.type === LIVE_EVENT.position ? e.message.data.vehicleId : undefined;
      stream.write(this.frame(e.id, out.event, out.data), supersedes);
    };
    let unsubscribe: () => Promise<void>;
    try {
      unsubscribe = await this.subscriber.subscribe(options.org, (e) => (held ? held.push(e) : forward(e)));
    } catch (err) {
      this.options.logger.warn('live: subscribe failed', { err });
      throw unavailable('the live stream is unavailable, retry', 5);
    }
    stream.onClose(() => void unsubscribe());
    if (stream.closed) return;
    stream.open();
    try {
      if (options.lastEventId !== undefined) await this.replay(stream, options.org, options.lastEventId, forward);
      await options.beforeLive?.();
    } catch (err) {
      // The client reconnects with the same Last-Event-ID and gets another try.
      this.options.logger.warn('live: replay failed', { err });
      stream.end();
      return;
    }
    // Still catching up (cursor kept) while the held messages go out; live from the next one.
    const pending = held;
    for (const e of pending) forward(e);
    held = undefined;
    // Everything as published: from the next message on, the organization's shared batches serve it
    // (they get each message from their own listener; this stream's is no longer needed).
    if (!options.select && !stream.closed) {
      this.fanoutOf(options.org, stream.coalesceMs).add(stream);
      void unsubscribe();
    }
  }

  /**
   * The organization's fan-out, created with its own subscriber listener. Only called for an
   * organization this process is already subscribed to, so the listener is in place at once: it hears
   * every message from this call on. Its window is the streams' own (LIVE_COALESCE_MS, one per process).
   */
  private fanoutOf(org: string, coalesceMs: number): OrgFanout {
    let fanout = this.fanouts.get(org);
    if (fanout) return fanout;
    const subscription: { removal?: Promise<(() => Promise<void>) | undefined> } = {};
    const created = new OrgFanout(coalesceMs, () => {
      if (this.fanouts.get(org) === created) this.fanouts.delete(org);
      void subscription.removal?.then((unsubscribe) => unsubscribe?.());
    });
    subscription.removal = this.subscriber
      .subscribe(org, (e) => created.push(e))
      .catch((err: unknown) => {
        this.options.logger.warn('live: subscribe failed', { err });
        return undefined;
      });
    this.fanouts.set(org, (fanout = created));
    return fanout;
  }

  private async replay(stream: SseStream, org: string, after: string, forward: (e: LiveEnvelope) => void) {
    // The log is capped: when the resume point has been trimmed away, say so, so the client reloads
    // the latest positions instead of trusting a stream with a hole in it.
    const oldest = await this.options.redis.xrange(liveLogKey(org), '-', '+', 'COUNT', 1);
    if (!oldest.length || compareLiveIds(after, oldest[0][0]) < 0) {
      stream.send(LIVE_EVENT.resync, { reason: 'the stream history since Last-Event-ID is no longer available' });
    }
    let from = after;
    for (let replayed = 0; replayed < MAX_REPLAY && !stream.closed;) {
      const page = await readLiveLog(this.options.redis, org, from, PAGE);
      for (const e of page) forward(e);
      replayed += page.length;
      if (page.length < PAGE) return;
      from = page[page.length - 1].id;
    }
    if (!stream.closed) stream.send(LIVE_EVENT.resync, { reason: 'too far behind to replay' });
  }

  // Every stream of an organization sends the same frame for a message: build it once, not once per
  // client (keyed by the message's data object, which is one per log entry).
  private readonly frames = new WeakMap<object, string>();
  private frame(id: string, event: LiveEventName, data: unknown): string {
    if (typeof data !== 'object' || data === null) return sseFrame(event, data, id);
    let frame = this.frames.get(data);
    if (frame === undefined) this.frames.set(data, (frame = sseFrame(event, data, id)));
    return frame;
  }

  /** Open streams, by everyone. */
  size(): number {
    return this.streams.size;
  }

  /** Drain: ends every stream (clients reconnect elsewhere after `retry`) and refuses new ones. */
  closeAll(): void {
    this.draining = true;
    for (const stream of [...this.streams]) stream.end();
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    clearInterval(this.renewal);
    this.closeAll();
    for (const fanout of this.fanouts.values()) fanout.close();
    this.fanouts.clear();
    await this.subscriber.close();
  }
}

const tooManyFor = (who: 'user' | 'organization') =>
  rateLimited(
    who === 'user'
      ? 'too many open live streams for this user; close one'
      : 'too many open live streams for this organization',
    30,
  );

/** A resume point from `Last-Event-ID` (header first) or the `lastEventId` query; 400 when malformed. */
export function resumePoint(header: string | undefined, query: string | undefined): string | undefined {
  const value = header?.trim() || query?.trim() || undefined;
  if (value !== undefined && !isLiveId(value)) {
    throw invalid('request is not valid', [
      { path: header ? 'Last-Event-ID' : 'lastEventId', message: 'not an event id of this stream' },
    ]);
  }
  return value;
}
