import { DEFAULT_ATTRIBUTION, DEFAULT_TILE_URL } from '@fleet/contracts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadClientConfig } from './client-config';

/** A site whose `/config.json` answers differently under each prefix. */
let server: Server;
let base: string;
const seen: Array<{ url: string; accept: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', accept: req.headers.accept });
    const json = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    switch (req.url) {
      case '/ok/config.json':
        return json(
          200,
          JSON.stringify({
            mapTileUrl: 'https://{s}.tiles.example/{z}/{x}/{y}{r}.png?key={accessToken}',
            mapToken: 'run-time-token',
            mapAttribution: '&copy; Example Maps',
            mapCenter: [41.39, 2.17],
            mapZoom: 9,
          }),
        );
      case '/empty/config.json':
        return json(200, '{}');
      case '/broken/config.json':
        return json(200, '{not json');
      case '/wrong/config.json':
        return json(200, JSON.stringify({ mapZoom: 'far' }));
      case '/slow/config.json':
        return; // never answers
      default:
        return json(404, '{"error":{"code":"not_found","message":"no"}}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('loadClientConfig', () => {
  it('reads the site’s /config.json, checked with the shared schema', async () => {
    const { config, status } = await loadClientConfig(`${base}/ok/`);
    expect(status).toBe('loaded');
    expect(config).toMatchObject({
      tileUrl: 'https://{s}.tiles.example/{z}/{x}/{y}{r}.png?key={accessToken}',
      tileToken: 'run-time-token',
      attribution: '&copy; Example Maps',
      center: [41.39, 2.17],
      zoom: 9,
    });
    expect(seen.at(-1)).toEqual({ url: '/ok/config.json', accept: 'application/json' });
  });

  it('lets /config.json override the build-time tiles, and keeps them when it says nothing', async () => {
    const build = { mapTileUrl: 'https://build.example/{z}/{x}/{y}.png', mapToken: 'build-token' };
    expect((await loadClientConfig(`${base}/ok`, { build })).config.tileToken).toBe('run-time-token');
    const empty = await loadClientConfig(`${base}/empty`, { build });
    expect(empty).toEqual({
      status: 'loaded',
      config: expect.objectContaining({ tileUrl: build.mapTileUrl, tileToken: 'build-token' }),
    });
  });

  it('falls back to the build-time values and OpenStreetMap when the file is missing, broken or wrong', async () => {
    const build = { mapTileUrl: 'https://build.example/{z}/{x}/{y}.png' };
    for (const [prefix, status] of [
      ['missing', 'missing'],
      ['broken', 'invalid'],
      ['wrong', 'invalid'],
    ] as const) {
      const loaded = await loadClientConfig(`${base}/${prefix}`);
      expect(loaded.status).toBe(status);
      expect(loaded.config).toMatchObject({ tileUrl: DEFAULT_TILE_URL, attribution: DEFAULT_ATTRIBUTION, zoom: 12 });
      expect((await loadClientConfig(`${base}/${prefix}`, { build })).config.tileUrl).toBe(build.mapTileUrl);
    }
  });

  it('gives up on a server that does not answer, or is not there', async () => {
    const started = Date.now();
    const slow = await loadClientConfig(`${base}/slow`, { timeoutMs: 200 });
    expect(slow).toMatchObject({ status: 'unreachable', config: { tileUrl: DEFAULT_TILE_URL } });
    expect(Date.now() - started).toBeLessThan(5_000);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await loadClientConfig(`http://127.0.0.1:${port}`)).status).toBe('unreachable');
  });

  it('asks the page’s own origin when the base URL is empty (the web app)', async () => {
    const calls: string[] = [];
    const fetchImpl = (async (url: string) => {
      calls.push(url);
      return new Response('{"mapZoom":7}', { status: 200 });
    }) as unknown as typeof fetch;
    expect((await loadClientConfig('', { fetch: fetchImpl })).config.zoom).toBe(7);
    expect(calls).toEqual(['/config.json']);
  });
});
