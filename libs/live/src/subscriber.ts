import type { LiveMessage } from '@fleet/contracts';
import type { Redis } from 'ioredis';
import { liveChannel, liveLogKey, parsePublished, readLiveLog } from './live';

export interface LiveEnvelope {
  /** The entry id in the organization's live log (the SSE `id:`). */
  id: string;
  message: LiveMessage;
}

export type LiveListener = (envelope: LiveEnvelope) => void;

/** Orders live-log ids (`<ms>-<seq>`); negative when a < b. */
export function compareLiveIds(a: string, b: string): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  return am !== bm ? am - bm : as - bs;
}

function splitId(id: string): [number, number] {
  const dash = id.indexOf('-');
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

/** A live-log id as a client may send it back (`Last-Event-ID`). */
export const isLiveId = (id: string) => /^\d{1,16}-\d{1,16}$/.test(id);

interface OrgEntry {
  orgId: string;
  channel: string;
  listeners: Set<LiveListener>;
  /** Resolves once Redis acknowledged the SUBSCRIBE. */
  subscribed: Promise<void>;
  /** The newest id handed to the listeners: later messages only, so a replay never repeats one. */
  delivered?: string;
  /** Where a catch-up starts: `delivered`, or the log's tail when the channel was subscribed. */
  cursor?: string;
  /** While catching up after a reconnect, live messages wait here (the replay comes first). */
  held?: LiveEnvelope[];
}

export interface LiveSubscriberOptions {
  /** A normal client of the same Redis: reads the live log (a subscriber connection cannot). */
  redis: Redis;
  /** The connection put in subscriber mode; by default `redis.duplicate()`. Closed by `close()`. */
  subscriber?: Redis;
  onError?: (err: Error, context: string) => void;
  /** Upper bound of messages replayed per organization after a reconnect (the log is capped anyway). */
  maxReplay?: number;
}

/**
 * One Redis subscriber connection per process, shared by every live stream the process serves:
 * an organization's channel is subscribed while at least one listener wants it (refcounted) and
 * unsubscribed when the last one leaves.
 *
 * Pub/sub is fire-and-forget: what is published while the connection is down is lost to it. So after
 * a reconnect every subscribed organization is caught up from its live log, from the last id its
 * listeners got, before live delivery resumes; listeners see each id once and in order.
 */
export class LiveSubscriber {
  private readonly sub: Redis;
  private readonly entries = new Map<string, OrgEntry>();
  private readonly byChannel = new Map<string, OrgEntry>();
  private readonly maxReplay: number;
  private everReady = false;
  private closed = false;

  constructor(private readonly options: LiveSubscriberOptions) {
    this.maxReplay = options.maxReplay ?? 20_000;
    this.sub = options.subscriber ?? options.redis.duplicate({ connectionName: 'fleet-live-subscriber' });
    this.sub.on('message', (channel: string, raw: string) => this.onMessage(channel, raw));
    // A duplicate does not inherit the error listener; without one, errors would be thrown.
    this.sub.on('error', (err: Error) => options.onError?.(err, 'subscriber connection'));
    this.sub.on('ready', () => {
      if (this.everReady) void this.catchUp();
      this.everReady = true;
    });
    if (this.sub.status === 'ready') this.everReady = true;
  }

  /**
   * Adds a listener for an organization's live messages; resolves, once the channel is subscribed,
   * to the function that removes it. Every message published after it resolves reaches the listener.
   */
  async subscribe(orgId: string, listener: LiveListener): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('live subscriber closed');
    let entry = this.entries.get(orgId);
    if (!entry) {
      const channel = liveChannel(this.options.redis, orgId);
      const created: OrgEntry = { orgId, channel, listeners: new Set(), subscribed: Promise.resolve() };
      created.subscribed = this.sub.subscribe(channel).then(() => this.startCursor(created));
      entry = created;
      this.entries.set(orgId, entry);
      this.byChannel.set(channel, entry);
    }
    entry.listeners.add(listener);
    try {
      await entry.subscribed;
    } catch (err) {
      await this.remove(entry, listener);
      throw err;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      await this.remove(entry, listener);
    };
  }

  /** Organizations subscribed right now, and their listener counts. */
  stats(): { organizations: number; listeners: number } {
    let listeners = 0;
    for (const e of this.entries.values()) listeners += e.listeners.size;
    return { organizations: this.entries.size, listeners };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.entries.clear();
    this.byChannel.clear();
    // QUIT waits for a connection; while Redis is away there is nothing to say goodbye to.
    if (this.sub.status === 'ready') await this.sub.quit().catch(() => undefined);
    this.sub.disconnect();
  }

  private async remove(entry: OrgEntry, listener: LiveListener): Promise<void> {
    entry.listeners.delete(listener);
    if (entry.listeners.size > 0 || this.entries.get(entry.orgId) !== entry) return;
    this.entries.delete(entry.orgId);
    this.byChannel.delete(entry.channel);
    if (this.closed) return;
    // Commands on one connection run in order: a SUBSCRIBE for a new listener sent after this
    // UNSUBSCRIBE still wins.
    await this.sub.unsubscribe(entry.channel).catch((err: Error) => this.options.onError?.(err, 'unsubscribe'));
  }

  /**
   * Where a catch-up after a reconnect starts when no message was seen yet: the log's newest entry
   * at subscription time (messages before the subscription were never ours to deliver).
   */
  private async startCursor(entry: OrgEntry): Promise<void> {
    try {
      const last = await this.options.redis.xrevrange(liveLogKey(entry.orgId), '+', '-', 'COUNT', 1);
      const id = last[0]?.[0] ?? '0-0';
      if (entry.cursor === undefined || compareLiveIds(id, entry.cursor) > 0) entry.cursor = id;
    } catch (err) {
      // Without it, a reconnect before the first message cannot be caught up for this organization.
      this.options.onError?.(err as Error, 'reading the live log tail');
    }
  }

  private onMessage(channel: string, raw: string): void {
    const entry = this.byChannel.get(channel);
    if (!entry) return;
    let envelope: LiveEnvelope;
    try {
      envelope = parsePublished(raw);
    } catch (err) {
      this.options.onError?.(err as Error, 'malformed live message');
      return;
    }
    if (entry.held) entry.held.push(envelope);
    else this.deliver(entry, envelope);
  }

  private deliver(entry: OrgEntry, envelope: LiveEnvelope): void {
    // Only `delivered` filters, not the tail read at subscription: a message published just before that
    // read may reach us just after it, and is still ours.
    if (entry.delivered !== undefined && compareLiveIds(envelope.id, entry.delivered) <= 0) return;
    entry.delivered = envelope.id;
    if (entry.cursor === undefined || compareLiveIds(envelope.id, entry.cursor) > 0) entry.cursor = envelope.id;
    for (const listener of [...entry.listeners]) {
      try {
        listener(envelope);
      } catch (err) {
        this.options.onError?.(err as Error, 'live listener');
      }
    }
  }

  /** After a reconnect: subscribe again, replay each organization's log from its cursor, then go live. */
  private async catchUp(): Promise<void> {
    const entries = [...this.entries.values()];
    for (const entry of entries) entry.held ??= [];
    await Promise.all(
      entries.map(async (entry) => {
        try {
          // ioredis re-subscribes by itself, but only to channels whose SUBSCRIBE had been answered.
          await this.sub.subscribe(entry.channel);
          let from = entry.cursor;
          let replayed = 0;
          while (from !== undefined && replayed < this.maxReplay && this.entries.get(entry.orgId) === entry) {
            const page = await readLiveLog(this.options.redis, entry.orgId, from, 1_000);
            for (const envelope of page) this.deliver(entry, envelope);
            replayed += page.length;
            if (page.length < 1_000) break;
            from = page[page.length - 1].id;
          }
        } catch (err) {
          this.options.onError?.(err as Error, 'catching up after a reconnect');
        } finally {
          const held = entry.held ?? [];
          entry.held = undefined;
          for (const envelope of held) this.deliver(entry, envelope);
        }
      }),
    );
  }
}
