import { ApiError } from './client';
import { FleetApi as ApiClient } from './fleet';

const reply = (status: number, body: unknown) =>
  jest.fn(async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }));

describe('ApiClient', () => {
  it('returns a validated answer and sends the bearer token', async () => {
    const fetchMock = reply(200, { status: 'ok', service: 'api', version: 'dev', uptimeSeconds: 3 });
    const client = new ApiClient({ baseUrl: 'http://api.test/', getToken: () => 'tok', fetch: fetchMock });
    await expect(client.health()).resolves.toMatchObject({ service: 'api' });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://api.test/health');
    expect((init.headers as Record<string, string>)['authorization']).toBe('Bearer tok');
  });

  it('turns an error body into an ApiError with code, details and request id', async () => {
    const client = new ApiClient({
      baseUrl: 'http://api.test',
      fetch: reply(400, {
        error: { code: 'validation_failed', message: 'bad', details: [{ path: 'lat', message: 'too big' }] },
        requestId: 'r1',
      }),
    });
    const err = await client.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'validation_failed', requestId: 'r1', details: [{ path: 'lat' }] });
  });

  it('reads a 503 readiness answer instead of throwing', async () => {
    const client = new ApiClient({
      baseUrl: 'http://api.test',
      fetch: reply(503, { status: 'not_ready', checks: { redis: { ok: false, error: 'down' } } }),
    });
    await expect(client.ready()).resolves.toMatchObject({ status: 'not_ready' });
  });

  it('reports a network failure and a non-JSON answer clearly', async () => {
    const down = new ApiClient({
      baseUrl: 'http://api.test',
      fetch: jest.fn(async () => Promise.reject(new Error('ECONNREFUSED'))),
    });
    await expect(down.health()).rejects.toMatchObject({ code: 'network', status: 0 });
    const html = new ApiClient({ baseUrl: 'http://api.test', fetch: reply(502, '<html>bad gateway</html>') });
    await expect(html.health()).rejects.toMatchObject({ code: 'bad_response', status: 502 });
  });
});
