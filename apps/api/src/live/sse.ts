import type { LiveEventName } from '@fleet/contracts';
import type { Request, Response } from 'express';

export interface SseOptions {
  /** Comment line interval: keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs: number;
  /** SSE `retry:` hint, the client's reconnection delay. */
  retryMs: number;
  /**
   * A client that does not read: once this much is queued for it, the stream is cut (it reconnects
   * and resumes from its Last-Event-ID) rather than buffered without bound in the API's memory.
   */
  maxBufferedBytes?: number;
  /**
   * At most one write every this many ms (0: as soon as the event loop turns): what arrives in between
   * goes out together, and a vehicle's position superseded by a newer one of the same vehicle is
   * dropped. The web draws at most four times a second; fewer, larger writes cost far less CPU.
   */
  coalesceMs?: number;
}

/**
 * One Server-Sent Events response. Ends on client disconnect or `end()`; `onClose` callbacks run
 * exactly once either way.
 */
export class SseStream {
  private heartbeat?: NodeJS.Timeout;
  private readonly closers: Array<() => void> = [];
  private done = false;
  private readonly maxBufferedBytes: number;
  // Messages come in bursts (a worker batch is published at once): what is written in one window goes
  // out as one chunk, one syscall, instead of one per message. `keys` holds the index in `pending` of
  // the latest frame with a key (a vehicle's position), which a newer frame with that key replaces.
  private pending: Array<string | undefined> = [];
  private keys = new Map<string, number>();
  private flushTimer?: { timeout: NodeJS.Timeout } | { immediate: NodeJS.Immediate };
  private lastFlush = 0;
  /** The window in which this stream's writes are coalesced (`SseOptions.coalesceMs`). */
  readonly coalesceMs: number;

  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly options: SseOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.coalesceMs = options.coalesceMs ?? 0;
    res.once('close', () => this.cleanup());
  }

  get closed(): boolean {
    return this.done;
  }

  /** Sends the headers at once (so the client's `open` fires) and the reconnection hint. */
  open(): void {
    const res = this.res;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    // no-transform: a proxy must neither cache nor compress (compression buffers the stream).
    res.setHeader('Cache-Control', 'no-cache, no-store, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx buffers proxied responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    this.req.socket.setNoDelay(true);
    this.req.socket.setKeepAlive(true);
    res.flushHeaders();
    this.write(`retry: ${this.options.retryMs}\n\n`);
    this.heartbeat = setInterval(() => this.comment('heartbeat'), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** One event. Without `id`, the client's Last-Event-ID stays what it was. */
  send(event: LiveEventName, data: unknown, id?: string): void {
    this.write(sseFrame(event, data, id));
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  onClose(fn: () => void): void {
    if (this.done) fn();
    else this.closers.push(fn);
  }

  /** Ends the stream (optionally with a last event saying why); the client reconnects after `retry`. */
  end(last?: { event: LiveEventName; data: unknown }): void {
    if (this.done) return;
    if (last) this.send(last.event, last.data);
    const rest = this.take();
    this.cleanup();
    this.res.end(rest);
  }

  /**
   * Raw SSE text (a frame built by `sseFrame`). With a `supersedes` key (a position's vehicle), a frame
   * of the same key still waiting for the next write is dropped for this one: only the newest goes out.
   * Without one (events, replays, comments) every frame is kept, in the order written.
   */
  write(chunk: string, supersedes?: string): void {
    if (this.done) return;
    if (supersedes !== undefined && this.coalesceMs > 0) {
      const previous = this.keys.get(supersedes);
      if (previous !== undefined) this.pending[previous] = undefined;
      this.keys.set(supersedes, this.pending.length);
    }
    this.pending.push(chunk);
    if (this.flushTimer) return;
    const wait = this.lastFlush + this.coalesceMs - Date.now();
    this.flushTimer =
      wait > 0 ? { timeout: setTimeout(() => this.flush(), wait) } : { immediate: setImmediate(() => this.flush()) };
  }

  /**
   * Frames encoded once for many streams (an organization's fan-out, one write per window): written
   * now, after what this stream still holds of its own, so the order is kept.
   */
  writeShared(chunk: Buffer): void {
    if (this.done) return;
    const own = this.take();
    if (own) this.res.write(own);
    this.res.write(chunk);
    this.cutIfNotReading();
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.done) return;
    const text = this.take();
    if (!text) return;
    this.lastFlush = Date.now();
    this.res.write(text);
    this.cutIfNotReading();
  }

  private cutIfNotReading(): void {
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.cleanup();
      this.res.destroy();
    }
  }

  /** What waits for the next write, as one string; empties the queue. */
  private take(): string {
    if (!this.pending.length) return '';
    const text = this.pending.length === 1 ? (this.pending[0] ?? '') : this.pending.join('');
    this.pending = [];
    this.keys.clear();
    return text;
  }

  private cleanup(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    if (this.flushTimer && 'timeout' in this.flushTimer) clearTimeout(this.flushTimer.timeout);
    else if (this.flushTimer) clearImmediate(this.flushTimer.immediate);
    this.flushTimer = undefined;
    for (const fn of this.closers.splice(0)) fn();
  }
}

/** An SSE event: `data` as one line of JSON. */
export function sseFrame(event: LiveEventName, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
