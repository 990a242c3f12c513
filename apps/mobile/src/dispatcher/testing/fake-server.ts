/**
 * A fake Fleet server for the app's tests: answers the declared endpoints the dispatcher uses, from
 * state the test controls, and records every request. The live stream is a body the test writes to.
 */
export const USER = {
  id: '3f1c2b9e-6a4d-4c1e-9f3a-2b7d8e9f0a1b',
  email: 'dispatch@example.com',
  name: 'Dana Dispatch',
  role: 'operator',
  organization: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: 'Acme Haulage' },
};

export interface FakeVehicle {
  vehicleId: string;
  name: string;
  ts: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
}

export interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface LiveConnection {
  headers: Record<string, string>;
  /** Writes raw SSE text to the stream. */
  write(text: string): void;
  end(): void;
  /** The app closed the connection. */
  aborted(): boolean;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const unauthorized = () => json(401, { error: { code: 'unauthorized', message: 'token expired' } });

export function fakeServer(options: { vehicles: FakeVehicle[] }) {
  const state = {
    vehicles: options.vehicles,
    /** The access tokens the server accepts. */
    validTokens: new Set<string>(),
    refreshTokens: new Set<string>(['refresh-1']),
    issued: 0,
    sent: [] as Sent[],
    live: [] as LiveConnection[],
    pushTokens: new Map<string, { eventTypes: string[]; language: string }>(),
    /** What the site's `/config.json` says (the web's map settings); undefined: not served (404). */
    config: undefined as unknown,
    /** Each vehicle's fixes, oldest first, answered by the history route whatever the period. */
    history: {} as Record<string, Array<{ ts: string; lat: number; lon: number }>>,
    /** The history route answers 503 (the reports' concurrency limit, a database down). */
    historyDown: false,
  };

  const issue = (refreshUsed?: string) => {
    state.issued += 1;
    const accessToken = `access-${state.issued}`;
    const refreshToken = `refresh-${state.issued + 1}`;
    state.validTokens.add(accessToken);
    if (refreshUsed) state.refreshTokens.delete(refreshUsed);
    state.refreshTokens.add(refreshToken);
    return { accessToken, tokenType: 'Bearer', expiresIn: 900, refreshToken, user: USER };
  };

  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    state.sent.push({ method, path: url.pathname + url.search, headers, body });
    const route = `${method} ${url.pathname}`;

    if (route === 'GET /config.json')
      return state.config === undefined ? new Response('not found', { status: 404 }) : json(200, state.config);
    if (route === 'POST /api/v1/auth/login') return json(200, issue());
    if (route === 'POST /api/v1/auth/refresh') {
      if (!state.refreshTokens.has(body?.refreshToken)) return unauthorized();
      return json(200, issue(body.refreshToken));
    }
    if (route === 'POST /api/v1/auth/logout') {
      state.refreshTokens.delete(body?.refreshToken);
      return new Response(null, { status: 204 });
    }

    const token = headers['authorization']?.replace(/^Bearer /, '');
    if (!token || !state.validTokens.has(token)) return unauthorized();

    if (route === 'GET /api/v1/positions/latest')
      return json(200, {
        type: 'FeatureCollection',
        features: state.vehicles.map((v) => ({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [v.lon, v.lat] },
          properties: {
            vehicleId: v.vehicleId,
            name: v.name,
            ts: v.ts,
            speedKmh: v.speedKmh,
            heading: null,
            altitude: null,
            accuracy: null,
            battery: null,
            attributes: {},
            status: 'stopped',
            ageSeconds: 0,
          },
        })),
      });
    if (route === 'GET /api/v1/live') {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c;
        },
      });
      const encoder = new TextEncoder();
      let open = true;
      let aborted = false;
      const end = () => {
        if (!open) return;
        open = false;
        controller.close();
      };
      init?.signal?.addEventListener('abort', () => {
        aborted = true;
        if (open) {
          open = false;
          controller.error(new Error('aborted'));
        }
      });
      state.live.push({
        headers,
        write: (text) => open && controller.enqueue(encoder.encode(text)),
        end,
        aborted: () => aborted,
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }
    const report = url.pathname.match(/^\/api\/v1\/vehicles\/([^/]+)\/(trips|stops)$/);
    if (method === 'GET' && report) {
      const from = url.searchParams.get('from') ?? '';
      const to = url.searchParams.get('to') ?? '';
      return json(200, { vehicleId: report[1], from, to, fixes: 0, sampledEvery: 1, items: [] });
    }
    const history = url.pathname.match(/^\/api\/v1\/vehicles\/([^/]+)\/history$/);
    if (method === 'GET' && history && state.historyDown)
      return json(503, { error: { code: 'unavailable', message: 'history is unavailable' } });
    if (method === 'GET' && history)
      return json(200, {
        type: 'FeatureCollection',
        features: (state.history[history[1] ?? ''] ?? []).map((f) => ({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [f.lon, f.lat] },
          properties: { ts: f.ts, attributes: {} },
        })),
      });
    if (route === 'GET /api/v1/events') return json(200, { items: [], nextCursor: null });
    if (route === 'POST /api/v1/push-tokens') {
      state.pushTokens.set(body.token, { eventTypes: body.eventTypes, language: body.language });
      const now = new Date().toISOString();
      return json(200, { ...body, createdAt: now, updatedAt: now });
    }
    if (route === 'DELETE /api/v1/push-tokens') {
      state.pushTokens.delete(body.token);
      return new Response(null, { status: 204 });
    }
    return json(404, { error: { code: 'not_found', message: `no route ${route}` } });
  }) as typeof fetch;

  /** Every access token issued so far stops being accepted (as when it expires). */
  const expireAccessTokens = () => state.validTokens.clear();

  return {
    impl,
    state,
    expireAccessTokens,
    requests: (route: string) => state.sent.filter((s) => `${s.method} ${s.path.split('?')[0]}` === route),
  };
}
