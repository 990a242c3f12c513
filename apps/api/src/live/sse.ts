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
  // Messages come in bursts (a worker batch is published at once): what is written in one turn of
  // the event loop goes out as one chunk, one syscall, instead of one per message.
  private pending = '';
  private flushScheduled = false;

  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly options: SseOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
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
    const rest = this.pending;
    this.pending = '';
    this.cleanup();
    this.res.end(rest);
  }

  /** Raw SSE text (a frame built by `sseFrame`). */
  write(chunk: string): void {
    if (this.done) return;
    this.pending += chunk;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.done || !this.pending) return;
      this.res.write(this.pending);
      this.pending = '';
      if (this.res.writableLength > this.maxBufferedBytes) {
        this.cleanup();
        this.res.destroy();
      }
    });
  }

  private cleanup(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    for (const fn of this.closers.splice(0)) fn();
  }
}

/** An SSE event: `data` as one line of JSON. */
export function sseFrame(event: LiveEventName, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
