import { DEFAULT_ATTRIBUTION, resolveClientConfig } from '@fleet/contracts';
import { buildMapConfig } from './config';
import { mapStyleOf, plainAttribution, viewOf } from './style';

describe('map style', () => {
  it('draws the configured raster tiles over a plain background', () => {
    const style = mapStyleOf({ tileUrl: '/tiles/{z}/{x}/{-y}.png' }, 'https://fleet.example.com/');
    expect(style.sources['base']).toEqual({
      type: 'raster',
      tiles: ['https://fleet.example.com/tiles/{z}/{x}/{y}.png'],
      scheme: 'tms',
      tileSize: 256,
      maxzoom: 19,
    });
    expect(style.layers.map((l) => l.type)).toEqual(['background', 'raster']);
  });

  it('writes the attribution as text', () => {
    expect(plainAttribution(DEFAULT_ATTRIBUTION)).toBe('© OpenStreetMap contributors');
    expect(plainAttribution('Tiles &#169; <a href="https://x.example">X &amp; Y</a>,&nbsp;data &#x00A9; OSM')).toBe(
      'Tiles © X & Y, data © OSM',
    );
  });

  it('opens around the points, on a single place, or on the configured centre', () => {
    const config = resolveClientConfig({ mapCenter: [41.39, 2.17], mapZoom: 9 });
    expect(viewOf([], config)).toEqual({ center: [2.17, 41.39], zoom: 9 });
    expect(viewOf([[-3.7, 40.4]], config)).toEqual({ center: [-3.7, 40.4], zoom: 14 });
    expect(
      viewOf(
        [
          [-3.7, 40.4],
          [-3.5, 40.6, 650],
          [-3.6, 40.3],
        ],
        config,
      ),
    ).toMatchObject({ bounds: [-3.7, 40.3, -3.5, 40.6] });
  });

  it('takes the build-time tiles from app.config.ts’s extra, blanks as unset', () => {
    expect(buildMapConfig({ mapTileUrl: 'https://t.example/{z}/{x}/{y}.png', mapToken: '' })).toEqual({
      mapTileUrl: 'https://t.example/{z}/{x}/{y}.png',
      mapToken: undefined,
    });
    expect(buildMapConfig(undefined)).toEqual({ mapTileUrl: undefined, mapToken: undefined });
  });
});
