import { ErrorBody, HealthResponse, ReadyResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;

beforeAll(async () => {
  testDb = await createTestDatabase('api-app');
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:api-app:${process.pid}:` });
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

describe('api probes', () => {
  it('answers /health and /ready with both dependencies up', async () => {
    const health = await fetch(`${t.base}/health`);
    expect(health.status).toBe(200);
    expect(HealthResponse.parse(await health.json()).service).toBe('api');
    const ready = await fetch(`${t.base}/ready`);
    expect(ready.status).toBe(200);
    const body = ReadyResponse.parse(await ready.json());
    expect(body).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true } } });
  });
});

describe('api metrics', () => {
  it('labels parameterised routes with their template', async () => {
    for (const ms of [1, 2, 3]) expect((await fetch(`${t.base}/api/v1/_debug/sleep/${ms}`)).status).toBe(200);
    const text = await (await fetch(`${t.base}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/_debug\/sleep\/:ms"[^}]*\} 3/);
    expect(text).not.toMatch(/route="\/api\/v1\/_debug\/sleep\/\d/);
  });
});

describe('api errors', () => {
  it('answers an unknown route with a 404 error body carrying the request id', async () => {
    const res = await fetch(`${t.base}/api/v1/nothing-here`, { headers: { 'X-Request-Id': 'my-req-42' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('my-req-42');
    const body = ErrorBody.parse(await res.json());
    expect(body).toMatchObject({ error: { code: 'not_found' }, requestId: 'my-req-42' });
  });

  it('names the bad parameter in a 400', async () => {
    const res = await fetch(`${t.base}/api/v1/_debug/sleep/forever`);
    expect(res.status).toBe(400);
    const body = ErrorBody.parse(await res.json());
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details?.[0]?.path).toBe('ms');
  });

  it('answers malformed JSON with 400 and an oversized body with 413, without internals', async () => {
    const bad = await fetch(`${t.base}/api/v1/_debug/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"password": "oops',
    });
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(ErrorBody.parse(JSON.parse(badText)).error.code).toBe('bad_request');
    expect(badText).not.toMatch(/at \w+ \(|node_modules|SyntaxError/);
    const big = await fetch(`${t.base}/api/v1/_debug/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(ErrorBody.parse(await big.json()).error.code).toBe('payload_too_large');
  });
});

describe('api security middleware', () => {
  it('sends security headers and no X-Powered-By', async () => {
    const res = await fetch(`${t.base}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('allows CORS from the allow-list only', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.base}/api/v1/_debug/echo`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
    const allowed = await preflight('http://localhost:4200');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:4200');
    const foreign = await preflight('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('api logs', () => {
  it('writes JSON lines only, and never a secret that came in a request', async () => {
    const jwtLike = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNlY3JldA';
    await fetch(`${t.base}/api/v1/_debug/echo?token=query-secret-123`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwtLike}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'demo@example.com', password: 'pa55word-in-body' }),
    });
    await fetch(`${t.base}/api/v1/_debug/echo`, {
      method: 'POST',
      headers: { authorization: 'Basic ZGV2aWNlOnBhc3N3b3Jk', 'content-type': 'application/json' },
      body: '{"password": "pa55word-in-broken-json',
    });
    const lines = await t.logLines();
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry).toHaveProperty('time');
      expect(entry).toHaveProperty('level');
      expect(entry).toHaveProperty('service', 'api');
    }
    const text = lines.join('\n');
    for (const secret of [jwtLike, 'pa55word', 'ZGV2aWNlOnBhc3N3b3Jk', 'query-secret-123', t.config.jwt.secret]) {
      expect(text).not.toContain(secret);
    }
    expect(lines.some((l) => JSON.parse(l).path === '/api/v1/_debug/echo' && JSON.parse(l).requestId)).toBe(true);
  });
});
