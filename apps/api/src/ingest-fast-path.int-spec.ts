import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createFleet, createTestDatabase, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import { captureLogger } from '@fleet/logging-json/testing';
import { createMetrics, type Metrics } from '@fleet/metrics';
import { startHttpServer, type HttpServerHandle } from '@fleet/runtime';
import { createMainListener, type AppDeps } from './app';
import { FAST_INGEST_ENDPOINTS } from './ingest/ingest-fast-path';
import { startTestApi, type StartedApi } from './testing/harness';

// The main port's ingest fast path (ingest/ingest-fast-path.ts) answers as the Express app does: each
// request below goes to a listener with the fast path and to one without (the Express app alone),
// built from the same services, and both answers must be the same — status, body and headers (less
// the request id and Date) — as must the route labels of the request histogram and the access log.

let testDb: TestDatabase;
let t: StartedApi;
let fleet: TestVehicle[];

interface Side {
  name: string;
  server: HttpServerHandle;
  draining: boolean;
  metrics: Metrics;
  lines(): Promise<string[]>;
}
const sides: Side[] = [];

const ALLOWED_ORIGIN = 'https://console.fleet.example';
const BODY_LIMIT_BYTES = 2048;

jest.setTimeout(60_000);

beforeAll(async () => {
  testDb = await createTestDatabase('api-ingest-fast-path');
  fleet = await createFleet(testDb.url, { count: 2, slug: 'fast-path' });
  t = await startTestApi(
    { DATABASE_URL: testDb.url, BODY_LIMIT: '2kb', CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:4200` },
    { keyPrefix: `test:ingest-fast-path:${process.pid}:` },
  );
  for (const fastPath of [true, false]) {
    const { logger, lines } = captureLogger({ service: 'api', format: 'json', level: 'http' });
    const side = { name: fastPath ? 'fast path' : 'express', draining: false, lines } as Side;
    side.metrics = createMetrics({ service: 'api' });
    const deps: AppDeps = { ...t.api.deps, logger, metrics: side.metrics, isDraining: () => side.draining };
    side.server = await startHttpServer(createMainListener(deps, { fastPath }), { port: 0, host: '127.0.0.1' });
    sides.push(side);
  }
});

afterAll(async () => {
  await Promise.all(sides.map((s) => s.server.close(1_000)));
  await t?.api.stop();
  await testDb?.drop();
});

interface Request {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
}
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The header names as sent (their case), sorted. */
  names: string[];
  body: string;
}

function send(port: number, r: Request): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: r.method ?? 'POST',
        path: r.path ?? '/api/v1/positions',
        headers: {
          ...(body && !r.chunked ? { 'content-length': String(body.length) } : {}),
          ...r.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            names: res.rawHeaders.filter((_, i) => i % 2 === 0).sort(),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && r.chunked) {
      // Two chunks, so the limit is met while reading rather than from a declared length.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else req.end(body);
  });
}

/** The answer less what differs by nature (request id, Date), the request id checked for shape. */
function comparable(a: Answer, sentRequestId?: string) {
  const { date, 'x-request-id': requestId, 'content-length': length, ...headers } = a.headers;
  expect(date).toBeDefined();
  // Compared through the body (whose batch id, a counter, may differ in length).
  expect(Number(length)).toBe(Buffer.byteLength(a.body));
  if (sentRequestId) expect(requestId).toBe(sentRequestId);
  else expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  let body: unknown = a.body;
  if (a.headers['content-type']?.toString().startsWith('application/json')) {
    const json = JSON.parse(a.body) as Record<string, unknown>;
    // The pipeline's batch counter: the two listeners' requests interleave.
    if ('batchId' in json) json['batchId'] = '<batch id>';
    if ('requestId' in json) {
      expect(json['requestId']).toBe(requestId);
      json['requestId'] = '<request id>';
    }
    body = json;
  }
  return { status: a.status, headers, names: a.names, body };
}

/** Sends `r` to both listeners; their answers must be equal. Returns the fast path's. */
async function both(r: Request, sentRequestId?: string) {
  const [fast, express] = await Promise.all(sides.map((s) => send(s.server.port, r)));
  const a = comparable(fast, sentRequestId);
  expect(a).toEqual(comparable(express, sentRequestId));
  return a;
}

let second = 0;
const fix = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    ts: new Date(Date.now() - 3_600_000 + 1000 * second++).toISOString(),
    lat: 40.4,
    lon: -3.7,
    speed: 20,
    ...extra,
  });
const json = (token: string | undefined, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...extra,
});

describe('the ingest fast path answers as the Express app', () => {
  it('serves the declared device-token JSON endpoints', () => {
    expect(FAST_INGEST_ENDPOINTS.map((e) => `${e.method} ${e.path}`)).toEqual([
      'post /api/v1/positions',
      'post /api/v1/overland',
    ]);
  });

  it('202 for a position, in each content type express.json reads', async () => {
    const token = fleet[0].token;
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/vnd.fleet+json']) {
      const a = await both({ headers: json(token, { 'content-type': type }), body: fix() });
      expect(a.status).toBe(202);
      expect(a.body).toMatchObject({ accepted: 1 });
      expect(a.headers['content-security-policy']).toBeDefined();
    }
    // A batch, chunked; a byte order mark; a query string.
    expect((await both({ headers: json(token), body: `[${fix()},${fix()}]`, chunked: true })).status).toBe(202);
    expect((await both({ headers: json(token), body: `\ufeff${fix()}` })).status).toBe(202);
    expect((await both({ path: '/api/v1/positions?x=1', headers: json(token), body: fix() })).status).toBe(202);
  });

  it('400 for a body that is not JSON, or not an object or array', async () => {
    const token = fleet[0].token;
    for (const body of ['{"ts":', '"a string"', '42', '   ', 'null']) {
      const a = await both({ headers: json(token), body });
      expect(a.status).toBe(400);
      expect(a.body).toMatchObject({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });
    }
  });

  it('the same refusal for an invalid field, an empty body, a missing or wrong token', async () => {
    const token = fleet[0].token;
    expect((await both({ headers: json(token), body: fix({ lat: 200 }) })).status).toBe(400);
    expect((await both({ headers: json(token), body: '' })).status).toBe(400);
    const missing = await both({ headers: json(undefined), body: fix() });
    expect(missing.status).toBe(401);
    const wrong = await both({ headers: json('not-a-device-token'), body: fix() });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('413 past the body limit, declared or read', async () => {
    const token = fleet[0].token;
    const big = JSON.stringify(Array.from({ length: 40 }, () => JSON.parse(fix()) as unknown));
    expect(big.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    for (const chunked of [false, true]) {
      const a = await both({ headers: json(token), body: big, chunked });
      expect(a.status).toBe(413);
      expect(a.body).toMatchObject({ error: { code: 'payload_too_large' } });
    }
  });

  it('a body in another content type (or none) is not read, as express.json leaves it', async () => {
    const token = fleet[0].token;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json-seq'])
      expect((await both({ headers: json(token, { 'content-type': type }), body: fix() })).status).toBe(400);
    expect((await both({ headers: { authorization: `Bearer ${token}` }, body: fix() })).status).toBe(400);
    expect((await both({ headers: { authorization: `Bearer ${token}` } })).status).toBe(400);
  });

  it('what it leaves to Express: encodings, charsets, other parameters, methods and spellings', async () => {
    const token = fleet[0].token;
    expect((await both({ headers: json(token, { 'content-encoding': 'gzip' }), body: gzipSync(fix()) })).status).toBe(
      202,
    );
    expect(
      (await both({ headers: json(token, { 'content-type': 'application/json; charset=latin1' }), body: fix() }))
        .status,
    ).toBe(415);
    expect(
      (await both({ headers: json(token, { 'content-type': 'application/json; x=1' }), body: fix() })).status,
    ).toBe(202);
    expect((await both({ path: '/api/v1/positions/', headers: json(token), body: fix() })).status).toBe(202);
    expect((await both({ method: 'GET', headers: json(token) })).status).toBe(404);
    expect((await both({ method: 'PUT', headers: json(token), body: fix() })).status).toBe(404);
  });

  it('CORS: a preflight, an allowed Origin and one that is not', async () => {
    const token = fleet[0].token;
    const preflight = await both({
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = await both({ headers: json(token, { origin: ALLOWED_ORIGIN }), body: fix() });
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const refusedWithCors = await both({ headers: json('wrong', { origin: 'http://localhost:4200' }), body: fix() });
    expect(refusedWithCors.headers['access-control-allow-origin']).toBe('http://localhost:4200');
    const other = await both({ headers: json(token, { origin: 'https://elsewhere.example' }), body: fix() });
    expect(other.status).toBe(202);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("keeps the client's request id when short and plain, as the app does", async () => {
    const token = fleet[0].token;
    await both({ headers: json(token, { 'x-request-id': 'device-42.retry_1' }), body: fix() }, 'device-42.retry_1');
    await both({ headers: json(token, { 'x-request-id': 'has spaces' }), body: fix() });
  });

  it('Overland: ?token= or bearer, and its refusals', async () => {
    const token = fleet[1].token;
    const point = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [-3.7, 40.4] },
      properties: { timestamp: new Date(Date.now() - 60_000).toISOString(), speed: 3 },
    };
    const ok = await both({
      path: `/api/v1/overland?token=${token}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locations: [point] }),
    });
    expect(ok).toMatchObject({ status: 200, body: { result: 'ok' } });
    expect((await both({ path: '/api/v1/overland', headers: json(token), body: '{"locations": 3}' })).status).toBe(400);
    expect((await both({ path: '/api/v1/overland?token=nope', headers: json(undefined), body: '{}' })).status).toBe(
      401,
    );
  });

  it('503 with Connection: close while draining', async () => {
    for (const s of sides) s.draining = true;
    try {
      const a = await both({ headers: json(fleet[0].token), body: fix() });
      expect(a.status).toBe(503);
      expect(a.headers['connection']).toBe('close');
      expect(a.headers['retry-after']).toBe('1');
    } finally {
      for (const s of sides) s.draining = false;
    }
  });

  it('the same route labels in the request histogram, and the same access log lines', async () => {
    const counts = async (m: Metrics) =>
      (await m.registry.getSingleMetricAsString('http_request_duration_seconds'))
        .split('\n')
        .filter((l) => l.startsWith('http_request_duration_seconds_count'))
        .sort();
    const [fast, express] = await Promise.all(sides.map((s) => counts(s.metrics)));
    expect(fast).toEqual(express);
    expect(fast.join('\n')).toContain('route="/api/v1/positions",status_code="202"');
    expect(fast.join('\n')).toContain('route="unmatched",status_code="413"');

    // Every line: the access log's in full (less its time, request id and duration), the others
    // (errorResponse's line for a 5xx) by level, message and request id presence.
    const logged = async (s: Side) =>
      (await s.lines())
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map(({ requestId, durationMs, time, ...rest }) => {
          expect(requestId).toBeDefined();
          expect(time).toBeDefined();
          if (rest['msg'] !== 'request') return `${String(rest['level'])} ${String(rest['msg'])}`;
          expect(typeof durationMs).toBe('number');
          return JSON.stringify(rest);
        })
        .sort();
    const [fastLines, expressLines] = await Promise.all(sides.map(logged));
    expect(fastLines.length).toBeGreaterThan(30);
    expect(fastLines).toEqual(expressLines);
    expect(fastLines).toContain('error server is shutting down, retry');
  });
});
