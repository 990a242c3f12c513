import { LIVE_EVENT } from '@fleet/contracts';
import type { LiveEnvelope } from '@fleet/live';
import { sseFrame, type SseStream } from './sse';

/**
 * One organization's live messages for every stream of this process that gets them all as published
 * (the signed-in map without a vehicle filter, caught up): what arrives within a window is framed,
 * coalesced (a vehicle's position superseded by a newer one is dropped) and encoded once into one
 * buffer, written as it is to each of those streams. Per stream, a window costs one socket write,
 * whatever the number of messages in it; nothing is serialised or copied per stream.
 *
 * A stream joins once it is live (its replay and held messages written by itself): it gets the
 * messages pushed after it joined, from the next write on.
 */
export class OrgFanout {
  private frames: Array<string | undefined> = [];
  /** A vehicle's position still waiting in `frames`: its index, replaced by a newer one. */
  private readonly keys = new Map<string, number>();
  /** The streams served, each with the index in `frames` it starts at (0 once it had a whole window). */
  private readonly members = new Map<SseStream, number>();
  private timer?: { timeout: NodeJS.Timeout } | { immediate: NodeJS.Immediate };
  private lastFlush = 0;

  constructor(
    private readonly coalesceMs: number,
    /** Called when the last stream has left (the hub drops this fan-out and its subscription). */
    private readonly onEmpty: () => void,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** Serves `stream` from now on: every message pushed after this call, none before. */
  add(stream: SseStream): void {
    if (stream.closed) return;
    this.members.set(stream, this.frames.length);
    stream.onClose(() => {
      if (!this.members.delete(stream) || this.members.size) return;
      this.close();
      this.onEmpty();
    });
  }

  push(e: LiveEnvelope): void {
    if (!this.members.size) return;
    const m = e.message;
    if (this.coalesceMs > 0 && m.type === LIVE_EVENT.position) {
      const previous = this.keys.get(m.data.vehicleId);
      if (previous !== undefined) this.frames[previous] = undefined;
      this.keys.set(m.data.vehicleId, this.frames.length);
    }
    this.frames.push(sseFrame(m.type, m.data, e.id));
    if (this.timer) return;
    const wait = this.lastFlush + this.coalesceMs - Date.now();
    this.timer =
      wait > 0 ? { timeout: setTimeout(() => this.flush(), wait) } : { immediate: setImmediate(() => this.flush()) };
  }

  close(): void {
    if (this.timer && 'timeout' in this.timer) clearTimeout(this.timer.timeout);
    else if (this.timer) clearImmediate(this.timer.immediate);
    this.timer = undefined;
    this.frames = [];
    this.keys.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const frames = this.frames;
    this.frames = [];
    this.keys.clear();
    if (!frames.length) return;
    this.lastFlush = Date.now();
    // join() writes superseded (undefined) entries as nothing.
    const whole = Buffer.from(frames.join(''), 'utf8');
    // A stream that joined during this window gets its part only (rare: built once per join point).
    const parts = new Map<number, Buffer>();
    for (const [stream, from] of this.members) {
      if (from > 0) this.members.set(stream, 0);
      if (from >= frames.length) continue;
      let chunk = from === 0 ? whole : parts.get(from);
      if (!chunk) parts.set(from, (chunk = Buffer.from(frames.slice(from).join(''), 'utf8')));
      if (chunk.length) stream.writeShared(chunk);
    }
  }
}
