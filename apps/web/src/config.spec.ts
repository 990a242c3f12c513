import { DEFAULT_TILE_URL, loadConfig, resolveConfig } from './config';

describe('web config', () => {
  it('uses OpenStreetMap unless a tile URL is configured; run time beats build time; blanks count as unset', () => {
    expect(resolveConfig({}, { mapTileUrl: undefined, mapToken: undefined, dev: false }).tileUrl).toBe(
      DEFAULT_TILE_URL,
    );
    const build = { mapTileUrl: 'https://tiles.example/{z}/{x}/{y}.png?key={accessToken}', mapToken: 'b', dev: false };
    expect(resolveConfig({}, build)).toMatchObject({ tileUrl: build.mapTileUrl, tileToken: 'b' });
    expect(resolveConfig({ mapTileUrl: 'https://other/{z}/{x}/{y}.png', mapToken: 'r' }, build)).toMatchObject({
      tileUrl: 'https://other/{z}/{x}/{y}.png',
      tileToken: 'r',
    });
    expect(resolveConfig({ mapTileUrl: '  ', mapToken: '' }, build)).toMatchObject({
      tileUrl: build.mapTileUrl,
      tileToken: 'b',
    });
  });

  it('falls back to the defaults when /config.json is missing, broken or unreachable', async () => {
    const answer = (status: number, body: string) =>
      (async () => ({ ok: status === 200, status, json: async () => JSON.parse(body) })) as unknown as typeof fetch;
    expect((await loadConfig(answer(404, ''))).tileUrl).toBe(DEFAULT_TILE_URL);
    expect((await loadConfig(answer(200, '{not json'))).tileUrl).toBe(DEFAULT_TILE_URL);
    expect((await loadConfig((async () => Promise.reject(new Error('offline'))) as typeof fetch)).tileUrl).toBe(
      DEFAULT_TILE_URL,
    );
    expect((await loadConfig(answer(200, '{"mapTileUrl":"/tiles/{z}/{x}/{y}.png","mapZoom":9}'))).zoom).toBe(9);
  });
});
