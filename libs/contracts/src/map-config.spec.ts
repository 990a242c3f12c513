import { DEFAULT_ATTRIBUTION, DEFAULT_TILE_URL, RuntimeConfig, rasterTiles, resolveClientConfig } from './map-config';

describe('map config', () => {
  it('resolves OpenStreetMap by default; run time beats build time; blanks count as unset', () => {
    expect(resolveClientConfig({})).toEqual({
      tileUrl: DEFAULT_TILE_URL,
      tileToken: undefined,
      attribution: DEFAULT_ATTRIBUTION,
      center: [40.4168, -3.7038],
      zoom: 12,
      trackerServerUrl: undefined,
      osmandPort: 5055,
    });
    const build = { mapTileUrl: 'https://build/{z}/{x}/{y}.png', mapToken: 'b' };
    expect(resolveClientConfig({}, build)).toMatchObject({ tileUrl: build.mapTileUrl, tileToken: 'b' });
    expect(resolveClientConfig({ mapTileUrl: 'https://run/{z}/{x}/{y}.png', mapToken: 'r' }, build)).toMatchObject({
      tileUrl: 'https://run/{z}/{x}/{y}.png',
      tileToken: 'r',
    });
    expect(resolveClientConfig({ mapTileUrl: ' ', mapToken: '' }, build)).toMatchObject({
      tileUrl: build.mapTileUrl,
      tileToken: 'b',
    });
  });

  it('accepts what the web container writes and refuses what it never would', () => {
    expect(RuntimeConfig.safeParse({ mapTileUrl: '', mapToken: '', trackerServerUrl: '' }).success).toBe(true);
    expect(RuntimeConfig.safeParse({ mapZoom: 25 }).success).toBe(false);
    expect(RuntimeConfig.safeParse({ mapCenter: [40] }).success).toBe(false);
    expect(RuntimeConfig.safeParse({ mapTileUrl: 'x'.repeat(2049) }).success).toBe(false);
  });
});

describe('rasterTiles (a Leaflet template as MapLibre raster tiles)', () => {
  it('keeps {z}/{x}/{y} for MapLibre to fill', () => {
    expect(rasterTiles(DEFAULT_TILE_URL)).toEqual({
      tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'],
      scheme: 'xyz',
    });
  });

  it('expands {s} into one URL per subdomain a, b, c', () => {
    expect(rasterTiles('https://{s}.tile.example/{z}/{x}/{y}.png').tiles).toEqual([
      'https://a.tile.example/{z}/{x}/{y}.png',
      'https://b.tile.example/{z}/{x}/{y}.png',
      'https://c.tile.example/{z}/{x}/{y}.png',
    ]);
  });

  it('drops {r} and fills {accessToken} (Mapbox-style providers), spaces inside braces allowed', () => {
    expect(
      rasterTiles('https://api.example/styles/{ z }/{x}/{y}{r}?access_token={accessToken}', { token: 'pk.abc' }).tiles,
    ).toEqual(['https://api.example/styles/{z}/{x}/{y}?access_token=pk.abc']);
    expect(rasterTiles('https://t.example/{z}/{x}/{y}.png?k={accessToken}').tiles).toEqual([
      'https://t.example/{z}/{x}/{y}.png?k=',
    ]);
  });

  it('reads {-y} as the TMS scheme', () => {
    expect(rasterTiles('https://tms.example/{z}/{x}/{-y}.png')).toEqual({
      tiles: ['https://tms.example/{z}/{x}/{y}.png'],
      scheme: 'tms',
    });
  });

  it('resolves a template relative to the site against the server, and gives a protocol-relative one https', () => {
    expect(rasterTiles('/tiles/{z}/{x}/{y}.png', { baseUrl: 'https://fleet.example.com/' }).tiles).toEqual([
      'https://fleet.example.com/tiles/{z}/{x}/{y}.png',
    ]);
    expect(rasterTiles('//{s}.t.example/{z}/{x}/{y}.png').tiles[1]).toBe('https://b.t.example/{z}/{x}/{y}.png');
  });
});
