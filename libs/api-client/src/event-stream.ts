import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One Server-Sent Event; an event sent without `event:` is a `message` (as EventSource names it). */
export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * The one text/event-stream parser of the project (eventsource-parser underneath), for the apps, the
 * API's tests and the benchmarks: feed it text as it arrives (split anywhere, even inside a CRLF) and
 * get back the events it completed. It keeps the last `id:` (to resume with Last-Event-ID) and the
 * server's `retry:` hint. Comments (heartbeats) are not events: `onComment` hears them.
 */
export class EventStreamParser {
  /** The last event id seen, kept across events (sent back as Last-Event-ID on reconnection). */
  lastEventId: string | undefined;
  /** The reconnection delay the server asked for, in ms. */
  retryMs: number | undefined;
  private completed: StreamEvent[] = [];
  private readonly parser: EventSourceParser;

  constructor(options: { onComment?: (comment: string) => void } = {}) {
    this.parser = createParser({
      onEvent: (e) => {
        if (e.id !== undefined) this.lastEventId = e.id;
        this.completed.push({ event: e.event ?? 'message', data: e.data, id: e.id });
      },
      onRetry: (ms) => (this.retryMs = ms),
      onComment: options.onComment,
    });
  }

  feed(chunk: string): StreamEvent[] {
    this.parser.feed(chunk);
    const events = this.completed;
    this.completed = [];
    return events;
  }
}

/**
 * Reads a fetch Response body to its end: the events of each network chunk are handed over together
 * (one update per chunk, not per event). A reader and TextDecoder, not TextDecoderStream, so that it
 * runs wherever fetch streams (browsers, Node, React Native).
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  parser: EventStreamParser,
  onEvents: (events: StreamEvent[]) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      const events = parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      if (events.length) onEvents(events);
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  /** Absolute URL of the stream (`api.urlOf(api.endpoints.liveStream, {})`). */
  url: string;
  /** The access token to send as a bearer, if any (read again at every connection). */
  getToken?: () => string | undefined;
  /** Renews the session after a 401; false (or no `renew`) means signed out: stop trying. */
  renew?: () => Promise<boolean>;
  /** Every event parsed from one network chunk, together. */
  onEvents: (events: StreamEvent[]) => void;
  onState?: (state: StreamState) => void;
  /** Called after every (re)connection; `resumed` when it resumed from a Last-Event-ID. */
  onOpen?: (resumed: boolean) => void;
  fetch?: typeof fetch;
  maxBackoffMs?: number;
}

/**
 * A Server-Sent Events stream over fetch (not EventSource): the access token goes in the Authorization
 * header instead of the URL (where proxies log it), and a renewed token is used on the next
 * connection. Reconnects with backoff (or the server's `retry:`) and `Last-Event-ID`, so the server
 * replays what was missed. Returns the function that closes it.
 */
export function connectEventStream(options: EventStreamOptions): () => void {
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  let stopped = false;
  let controller: AbortController | undefined;
  let lastEventId: string | undefined;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setState = (s: StreamState) => options.onState?.(s);

  async function run() {
    if (stopped) return;
    controller = new AbortController();
    setState(attempt === 0 ? 'connecting' : 'reconnecting');
    const parser = new EventStreamParser();
    let retryMs: number | undefined;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = options.getToken?.();
      if (token) headers['authorization'] = `Bearer ${token}`;
      if (lastEventId) headers['last-event-id'] = lastEventId;
      // `cache` is a browser option (Node's and React Native's fetch do not cache, nor declare it).
      const init = { headers, signal: controller.signal, cache: 'no-store' as const };
      const res = await fetchImpl(options.url, init);
      if (res.status === 401) {
        await res.body?.cancel().catch(() => undefined);
        if (!(await options.renew?.())) {
          stopped = true;
          setState('closed');
          return;
        }
        return schedule(0);
      }
      if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
      const resumed = lastEventId !== undefined;
      attempt = 0;
      setState('open');
      options.onOpen?.(resumed);
      await readEventStream(res.body, parser, (events) => {
        if (parser.lastEventId) lastEventId = parser.lastEventId;
        options.onEvents(events);
      });
      // The server closed the stream: come back when it asked to (a failure backs off instead).
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
