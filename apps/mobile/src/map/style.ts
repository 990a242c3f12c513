import { MAX_TILE_ZOOM, rasterTiles, type ClientConfig } from '@fleet/contracts';
import type { LngLat, LngLatBounds, StyleSpecification, ViewPadding } from '@maplibre/maplibre-react-native';

/** The id of the raster source in the style (tile failures are recognised by it). */
export const BASE_SOURCE = 'base';

/**
 * The map's style: the configured raster tiles (the web's `MAP_TILE_URL`, OpenStreetMap by default)
 * under a plain background that stays when the tiles do not come. No glyphs or sprites: markers and
 * tracks are circle and line layers.
 */
export function mapStyleOf(config: Pick<ClientConfig, 'tileUrl' | 'tileToken'>, serverUrl: string): StyleSpecification {
  const { tiles, scheme } = rasterTiles(config.tileUrl, { token: config.tileToken, baseUrl: serverUrl || undefined });
  return {
    version: 8,
    sources: {
      // Leaflet's tiles are 256 px; beyond MAX_TILE_ZOOM the last level is magnified.
      [BASE_SOURCE]: { type: 'raster', tiles, scheme, tileSize: 256, maxzoom: MAX_TILE_ZOOM },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eeeeea' } },
      { id: 'tiles', type: 'raster', source: BASE_SOURCE },
    ],
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©' };

/** The attribution as text: tags dropped (the web's may hold links), entities decoded. */
export function plainAttribution(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#')
        return String.fromCodePoint(
          name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1)),
        );
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** The zoom a single vehicle (or a track that never moved) is shown at. */
export const POINT_ZOOM = 14;
export const FIT_PADDING = { top: 48, right: 48, bottom: 48, left: 48 };

/** A camera position: around a box, or on a point (both are Camera `initialViewState`s). */
export type MapView = { bounds: LngLatBounds; padding: ViewPadding } | { center: LngLat; zoom: number };

/**
 * Where the camera opens: around every point (with padding), on the point when there is one place, or
 * the configured centre when there is none. Points are `[lon, lat]`.
 */
export function viewOf(points: readonly GeoJSON.Position[], config: Pick<ClientConfig, 'center' | 'zoom'>): MapView {
  if (points.length === 0) return { center: [config.center[1], config.center[0]], zoom: config.zoom };
  let [west, south, east, north] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon = 0, lat = 0] of points) {
    west = Math.min(west, lon);
    east = Math.max(east, lon);
    south = Math.min(south, lat);
    north = Math.max(north, lat);
  }
  if (east - west < 1e-6 && north - south < 1e-6) return { center: [west, south], zoom: POINT_ZOOM };
  return { bounds: [west, south, east, north], padding: FIT_PADDING };
}
