/** One Server-Sent Event as the stream defines it (WHATWG HTML, "event stream interpretation"). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser of a text/event-stream: feed it chunks as they arrive (split anywhere, even
 * inside a line or a CRLF), get back the complete events. Comments (heartbeats) are skipped.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private sawCr = false;
  /** The last `id:` seen, kept across events as the spec says (Last-Event-ID on reconnect). */
  lastEventId: string | undefined;
  /** A `retry:` the server asked for, in ms. */
  retryMs: number | undefined;

  feed(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    // A chunk ending in CR may be half of a CRLF: its LF, if it comes, ends no second line.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = text.endsWith('\r');
    this.buffer += text;
    let start = 0;
    for (;;) {
      const nl = this.findLineEnd(start);
      if (nl < 0) break;
      const line = this.buffer.slice(start, nl);
      start = nl + (this.buffer[nl] === '\r' && this.buffer[nl + 1] === '\n' ? 2 : 1);
      this.line(line, out);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private findLineEnd(from: number): number {
    for (let i = from; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c === 10) return i;
      if (c === 13) return i; // CR, or the CR of a CRLF (its LF is skipped by the caller)
    }
    return -1;
  }

  private line(line: string, out: SseEvent[]) {
    if (line === '') {
      if (this.data.length) {
        out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      }
      this.data = [];
      this.event = '';
      this.id = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }
}

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveConnectionOptions {
  url: string;
  getToken: () => string | undefined;
  /** Renews the session after a 401; false means signed out (stop trying). */
  renew: () => Promise<boolean>;
  /** Every event parsed from one network chunk, together (one store update per chunk, not per event). */
  onEvents: (events: SseEvent[]) => void;
  onState?: (state: LiveState) => void;
  /** Called after every (re)connection: resynchronise what may have been missed. */
  onOpen?: (resumed: boolean) => void;
  fetch?: typeof fetch;
  maxBackoffMs?: number;
}

/**
 * The live stream over fetch (not EventSource): the access token goes in the Authorization header
 * instead of the URL (where proxies log it), and a renewed token is used on the next reconnection.
 * Reconnects with backoff and `Last-Event-ID`, so the server replays what was missed.
 */
export function connectLive(options: LiveConnectionOptions): () => void {
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  let stopped = false;
  let controller: AbortController | undefined;
  let lastEventId: string | undefined;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setState = (s: LiveState) => options.onState?.(s);

  async function run() {
    if (stopped) return;
    controller = new AbortController();
    setState(attempt === 0 ? 'connecting' : 'reconnecting');
    const parser = new SseParser();
    let retryMs: number | undefined;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = options.getToken();
      if (token) headers['authorization'] = `Bearer ${token}`;
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const res = await fetchImpl(options.url, { headers, signal: controller.signal, cache: 'no-store' });
      if (res.status === 401) {
        await res.body?.cancel().catch(() => undefined);
        if (!(await options.renew())) {
          stopped = true;
          setState('closed');
          return;
        }
        return schedule(0);
      }
      if (!res.ok || !res.body) throw new Error(`live stream answered ${res.status}`);
      const resumed = lastEventId !== undefined;
      attempt = 0;
      setState('open');
      options.onOpen?.(resumed);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const events = parser.feed(value);
        if (parser.lastEventId) lastEventId = parser.lastEventId;
        if (events.length) options.onEvents(events);
      }
      retryMs = parser.retryMs;
    } catch {
      if (stopped) return;
    }
    schedule(retryMs);
  }

  function schedule(hintMs?: number) {
    if (stopped) return;
    attempt++;
    const backoff = Math.min(options.maxBackoffMs ?? 30_000, 500 * 2 ** Math.min(attempt, 6));
    setState('reconnecting');
    timer = setTimeout(() => void run(), hintMs ?? backoff * (0.5 + Math.random() / 2));
  }

  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
    setState('closed');
  };
}
