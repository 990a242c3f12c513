import http from 'node:http';
// The one SSE parser (the apps' own): these tests read the stream as a client does.
import { EventStreamParser } from '@fleet/api-client';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  /** Date.now() when the event's last line arrived. */
  at: number;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Events so far (comments are not events). */
  events: SseEvent[];
  /** Comment lines so far (`: heartbeat` → 'heartbeat'). */
  comments: string[];
  /** The `retry:` hint, if one came. */
  retry?: number;
  /** The body, when the answer was not a stream (an error). */
  body(): string;
  /** Resolves when the server ends the stream (or the connection drops). */
  ended: Promise<void>;
  /** Waits until `predicate(events)` holds. */
  waitFor(predicate: (events: SseEvent[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * A small Server-Sent Events client for tests (node:http, so headers such as Last-Event-ID and
 * cookies can be set, and the raw status seen), parsing with the apps' EventStreamParser. Resolves
 * once the response headers arrive.
 */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let raw = '';
      const parser = new EventStreamParser({ onComment: (comment) => comments.push(comment.trim()) });
      let endedResolve: () => void = () => undefined;
      const ended = new Promise<void>((r) => (endedResolve = r));
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        body: () => raw,
        ended,
        waitFor: async (predicate, what, timeoutMs = 5_000) => {
          const deadline = Date.now() + timeoutMs;
          while (!predicate(events)) {
            if (Date.now() > deadline) {
              throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(events.map((e) => e.event))}`);
            }
            await new Promise((r) => setTimeout(r, 10));
          }
        },
        close: () => req.destroy(),
      };
      res.on('data', (chunk: string) => {
        raw += chunk;
        const at = Date.now();
        for (const e of parser.feed(chunk)) events.push({ id: e.id, event: e.event, data: e.data, at });
        if (parser.retryMs !== undefined) client.retry = parser.retryMs;
      });
      res.on('end', endedResolve);
      res.on('close', endedResolve);
      res.on('error', endedResolve);
      resolve(client);
    });
    req.on('error', reject);
  });
}
