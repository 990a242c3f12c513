/**
 * @jest-environment node
 */
import { splitLiveEvents } from './messages';
import { connectLive, SseParser, type SseEvent } from './sse';

describe('SseParser', () => {
  it('reads events split anywhere across chunks, CRLF or LF', () => {
    const parser = new SseParser();
    const stream = 'id: 1-0\r\nevent: position\r\ndata: {"a":1}\r\n\r\nid: 1-1\nevent: event\ndata: {"b":2}\n\n';
    const events: SseEvent[] = [];
    // every possible split into 3-byte pieces, including inside "\r\n"
    for (let i = 0; i < stream.length; i += 3) events.push(...parser.feed(stream.slice(i, i + 3)));
    expect(events).toEqual([
      { event: 'position', data: '{"a":1}', id: '1-0' },
      { event: 'event', data: '{"b":2}', id: '1-1' },
    ]);
    expect(parser.lastEventId).toBe('1-1');
  });

  it('joins multi-line data, skips comments (heartbeats) and reads retry', () => {
    const parser = new SseParser();
    const events = parser.feed(': heartbeat\n\nretry: 2500\ndata: line 1\ndata:line 2\n\n: ping\n\n');
    expect(events).toEqual([{ event: 'message', data: 'line 1\nline 2', id: undefined }]);
    expect(parser.retryMs).toBe(2500);
  });

  it('does not emit an event until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('event: position\ndata: {}\n')).toEqual([]);
    expect(parser.feed('\n')).toHaveLength(1);
  });
});

describe('splitLiveEvents', () => {
  it('keeps well-formed positions and events and drops the rest', () => {
    const position = {
      vehicleId: 'v1',
      ts: '2026-11-27T12:00:00.000Z',
      lat: 40.4,
      lon: -3.7,
      speedKmh: 12,
      heading: null,
      altitude: null,
      accuracy: 4,
      battery: null,
      attributes: null,
    };
    const { fixes, events } = splitLiveEvents([
      { event: 'position', data: JSON.stringify(position) },
      { event: 'position', data: '{"vehicleId":"v2","ts":"x","lat":"north"}' },
      { event: 'position', data: 'not json' },
      { event: 'event', data: JSON.stringify({ id: 'e1', vehicleId: 'v1', type: 'overspeed', ts: position.ts }) },
      { event: 'other', data: '{}' },
    ]);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ vehicleId: 'v1', lat: 40.4, speedKmh: 12, tsMs: Date.parse(position.ts) });
    expect(events).toEqual([
      expect.objectContaining({ id: 'e1', type: 'overspeed', geofenceId: null, attributes: {} }),
    ]);
  });

  it('names the events the server retracted', () => {
    const retractedEvent = { id: 'e7', vehicleId: 'v1', type: 'geofence_enter', ts: '2026-11-27T12:00:00.000Z' };
    const { events, retracted } = splitLiveEvents([
      { event: 'event_retracted', data: JSON.stringify({ ...retractedEvent, retractedAt: '2026-11-27T12:05:00Z' }) },
      { event: 'event_retracted', data: 'not json' },
    ]);
    expect(events).toEqual([]);
    expect(retracted).toEqual(['e7']);
  });
});

/** A fetch whose answers are scripted: each call takes the next one. */
function scriptedFetch(answers: (() => Response)[]) {
  const calls: { headers: Record<string, string> }[] = [];
  const fetchImpl = jest.fn(async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push({ headers: { ...(init?.headers as Record<string, string>) } });
    const next = answers.shift();
    if (!next) return new Promise<Response>(() => undefined); // hang: no more scripted answers
    return next();
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

const sse = (body: string) => () =>
  new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });

describe('connectLive', () => {
  it('sends the token, delivers events, and resumes with Last-Event-ID after the stream ends', async () => {
    const { fetchImpl, calls } = scriptedFetch([
      sse('id: 7-0\nevent: position\ndata: {"n":1}\n\nretry: 10\n\n'),
      sse('id: 7-1\nevent: position\ndata: {"n":2}\n\n'),
    ]);
    const got: string[] = [];
    const opened: boolean[] = [];
    const stop = connectLive({
      url: '/api/v1/live',
      getToken: () => 'tok',
      renew: async () => true,
      fetch: fetchImpl,
      onEvents: (events) => got.push(...events.map((e) => e.data)),
      onOpen: (resumed) => opened.push(resumed),
    });
    await waitFor(() => got.length === 2);
    stop();
    expect(got).toEqual(['{"n":1}', '{"n":2}']);
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
    const got: SseEvent[] = [];
    const stop = connectLive({
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
    connectLive({
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
});

async function waitFor(check: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
