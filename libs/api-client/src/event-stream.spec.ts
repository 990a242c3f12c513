import fc from 'fast-check';
import { connectEventStream, EventStreamParser, readEventStream, type StreamEvent } from './event-stream';

describe('EventStreamParser', () => {
  it('reads events split anywhere across chunks, CRLF or LF', () => {
    const parser = new EventStreamParser();
    const stream = 'id: 1-0\r\nevent: position\r\ndata: {"a":1}\r\n\r\nid: 1-1\nevent: event\ndata: {"b":2}\n\n';
    const events: StreamEvent[] = [];
    // every possible split into 3-byte pieces, including inside "\r\n"
    for (let i = 0; i < stream.length; i += 3) events.push(...parser.feed(stream.slice(i, i + 3)));
    expect(events).toEqual([
      { event: 'position', data: '{"a":1}', id: '1-0' },
      { event: 'event', data: '{"b":2}', id: '1-1' },
    ]);
    expect(parser.lastEventId).toBe('1-1');
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const stream =
      ': heartbeat\n\nid: 3-0\r\nevent: position\r\ndata: {"n":1}\r\n\r\nretry: 900\ndata: a\ndata: b\n\n' +
      'event: resync\rdata: {}\r\r\n';
    const whole = new EventStreamParser().feed(stream);
    expect(whole).toHaveLength(3);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const parser = new EventStreamParser();
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), stream.length];
        const events = bounds.slice(1).flatMap((end, i) => parser.feed(stream.slice(bounds[i], end)));
        expect(events).toEqual(whole);
        expect(parser.retryMs).toBe(900);
      }),
    );
  });

  it('joins multi-line data, hands comments (heartbeats) to onComment and reads retry', () => {
    const comments: string[] = [];
    const parser = new EventStreamParser({ onComment: (c) => comments.push(c) });
    const events = parser.feed(': heartbeat\n\nretry: 2500\ndata: line 1\ndata:line 2\n\n: ping\n\n');
    expect(events).toEqual([{ event: 'message', data: 'line 1\nline 2', id: undefined }]);
    expect(parser.retryMs).toBe(2500);
    expect(comments).toEqual(['heartbeat', 'ping']);
  });

  it('does not emit an event until its blank line arrives', () => {
    const parser = new EventStreamParser();
    expect(parser.feed('event: position\ndata: {}\n')).toEqual([]);
    expect(parser.feed('\n')).toHaveLength(1);
  });
});

describe('readEventStream', () => {
  it('decodes a byte stream whose chunks split a multi-byte character, one callback per chunk', async () => {
    const bytes = new TextEncoder().encode('event: event\ndata: "Cádiz"\n\nevent: event\ndata: "Málaga"\n\n');
    const split = bytes.indexOf(0xc3) + 1; // inside the two bytes of "á"
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    const batches: StreamEvent[][] = [];
    await readEventStream(body, new EventStreamParser(), (events) => batches.push(events));
    expect(batches.map((b) => b.map((e) => e.data))).toEqual([['"Cádiz"', '"Málaga"']]);
  });
});

/** A fetch whose answers are scripted: each call takes the next one. */
function scriptedFetch(answers: (() => Response)[]) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetchImpl = jest.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: { ...(init?.headers as Record<string, string>) } });
    const next = answers.shift();
    if (!next) return new Promise<Response>(() => undefined); // hang: no more scripted answers
    return next();
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

const sse = (body: string) => () =>
  new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });

describe('connectEventStream', () => {
  it('sends the token, delivers events, and resumes with Last-Event-ID after the stream ends', async () => {
    const { fetchImpl, calls } = scriptedFetch([
      sse('id: 7-0\nevent: position\ndata: {"n":1}\n\nretry: 10\n\n'),
      sse('id: 7-1\nevent: position\ndata: {"n":2}\n\n'),
    ]);
    const got: string[] = [];
    const opened: boolean[] = [];
    const stop = connectEventStream({
      url: 'http://api.test/api/v1/live',
      getToken: () => 'tok',
      renew: async () => true,
      fetch: fetchImpl,
      onEvents: (events) => got.push(...events.map((e) => e.data)),
      onOpen: (resumed) => opened.push(resumed),
    });
    await waitFor(() => got.length === 2);
    stop();
    expect(got).toEqual(['{"n":1}', '{"n":2}']);
    expect(calls[0].url).toBe('http://api.test/api/v1/live');
    expect(calls[0].headers['authorization']).toBe('Bearer tok');
    expect(calls[0].headers['last-event-id']).toBeUndefined();
    expect(calls[1].headers['last-event-id']).toBe('7-0');
    expect(opened).toEqual([false, true]);
  });

  it('renews the session on a 401 and connects again with the new token', async () => {
    let token = 'old';
    const { fetchImpl, calls } = scriptedFetch([
      () => new Response('{}', { status: 401 }),
      sse('event: position\ndata: {}\n\n'),
    ]);
    const renew = jest.fn(async () => {
      token = 'new';
      return true;
    });
    const got: StreamEvent[] = [];
    const stop = connectEventStream({
      url: '/l',
      getToken: () => token,
      renew,
      fetch: fetchImpl,
      onEvents: (e) => got.push(...e),
    });
    await waitFor(() => got.length === 1);
    stop();
    expect(renew).toHaveBeenCalledTimes(1);
    expect(calls.map((c) => c.headers['authorization'])).toEqual(['Bearer old', 'Bearer new']);
  });

  it('stops trying when the session cannot be renewed', async () => {
    const { fetchImpl, calls } = scriptedFetch([() => new Response('{}', { status: 401 })]);
    const states: string[] = [];
    connectEventStream({
      url: '/l',
      getToken: () => 'x',
      renew: async () => false,
      fetch: fetchImpl,
      onEvents: () => undefined,
      onState: (s) => states.push(s),
    });
    await waitFor(() => states.includes('closed'));
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(1);
  });

  it('sends no Authorization header without a token (public streams)', async () => {
    const { fetchImpl, calls } = scriptedFetch([sse('event: end\ndata: {"reason":"expired"}\n\n')]);
    const got: string[] = [];
    const stop = connectEventStream({ url: '/s', fetch: fetchImpl, onEvents: (e) => got.push(e[0].event) });
    await waitFor(() => got.length === 1);
    stop();
    expect(got).toEqual(['end']);
    expect(calls[0].headers['authorization']).toBeUndefined();
  });
});

async function waitFor(check: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
