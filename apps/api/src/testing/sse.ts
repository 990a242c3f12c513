import http from 'node:http';

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
 * cookies can be set, and the raw status seen). Resolves once the response headers arrive.
 */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let raw = '';
      let buffer = '';
      let current: { id?: string; event?: string; data: string[] } = { data: [] };
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
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (current.data.length || current.event) {
              events.push({
                id: current.id,
                event: current.event ?? 'message',
                data: current.data.join('\n'),
                at: Date.now(),
              });
            }
            current = { data: [] };
          } else if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') current.data.push(value);
            else if (field === 'event') current.event = value;
            else if (field === 'id') current.id = value;
            else if (field === 'retry') client.retry = Number(value);
          }
        }
      });
      res.on('end', endedResolve);
      res.on('close', endedResolve);
      res.on('error', endedResolve);
      resolve(client);
    });
    req.on('error', reject);
  });
}
