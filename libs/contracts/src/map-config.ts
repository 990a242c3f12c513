import { z } from 'zod';
import type { VehicleStatus } from './tracking';

/**
 * The map settings the web app and the phones share: what `/config.json` may say (written by the web
 * container from MAP_TILE_URL / MAP_TOKEN / MAP_ATTRIBUTION …), how it is resolved against build-time
 * values, and how a Leaflet tile URL template becomes MapLibre's raster source.
 */

/** OpenStreetMap's standard tiles: the default when nothing is configured. */
export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
export const DEFAULT_ATTRIBUTION = '&copy; OpenStreetMap contributors';
/** Where a map opens before any vehicle is known: [lat, lon] (Madrid). */
export const DEFAULT_MAP_CENTER: [number, number] = [40.4168, -3.7038];
export const DEFAULT_MAP_ZOOM = 12;
/** Traccar Client's port (OsmAnd listener) when `/config.json` does not say. */
export const DEFAULT_OSMAND_PORT = 5055;
/** The deepest zoom the tiles are requested at (OpenStreetMap's standard layer stops at 19). */
export const MAX_TILE_ZOOM = 19;

/** Colours of the three vehicle states, on the web (legend, markers) and the phone's map. */
export const STATUS_COLOURS: Record<VehicleStatus, string> = {
  moving: '#1a7f37',
  stopped: '#bf8700',
  offline: '#6e7781',
};

/** What `/config.json` may set at run time; every field optional. */
export const RuntimeConfig = z
  .object({
    /** A Leaflet URL template: `{z}/{x}/{y}`, optional `{s}` (subdomains a, b, c), `{r}`, `{accessToken}`. */
    mapTileUrl: z.string().max(2048),
    /** Fills `{accessToken}` in the template. */
    mapToken: z.string().max(2048),
    /** HTML (the web) or text with entities (the phones strip the tags). */
    mapAttribution: z.string().max(500),
    /** Where the map opens before any vehicle is known: [lat, lon]. */
    mapCenter: z.tuple([z.number(), z.number()]),
    mapZoom: z.number().int().min(1).max(MAX_TILE_ZOOM),
    /** The phones' server address shown on the device setup page, when it differs from this site. */
    trackerServerUrl: z.string().max(2048),
    /** Traccar Client's port (OsmAnd listener). */
    osmandPort: z.number().int().min(1).max(65535),
  })
  .partial();
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

/** Values fixed when the app was built (Vite's MAP_TILE_URL / MAP_TOKEN; the phone app's `extra`). */
export interface BuildMapConfig {
  mapTileUrl?: string;
  mapToken?: string;
}

export interface ClientConfig {
  tileUrl: string;
  tileToken?: string;
  attribution: string;
  center: [number, number];
  zoom: number;
  trackerServerUrl?: string;
  osmandPort: number;
}

/** Build-time values, overridden by whatever `/config.json` says; empty strings count as unset. */
export function resolveClientConfig(runtime: RuntimeConfig, build: BuildMapConfig = {}): ClientConfig {
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v.trim() !== '');
  return {
    tileUrl: pick(runtime.mapTileUrl, build.mapTileUrl) ?? DEFAULT_TILE_URL,
    tileToken: pick(runtime.mapToken, build.mapToken),
    attribution: pick(runtime.mapAttribution) ?? DEFAULT_ATTRIBUTION,
    center: runtime.mapCenter ?? DEFAULT_MAP_CENTER,
    zoom: runtime.mapZoom ?? DEFAULT_MAP_ZOOM,
    trackerServerUrl: pick(runtime.trackerServerUrl),
    osmandPort: runtime.osmandPort ?? DEFAULT_OSMAND_PORT,
  };
}

/** Leaflet's default subdomains for `{s}`. */
const SUBDOMAINS = ['a', 'b', 'c'];

/** A MapLibre raster source's tiles: the URLs it may pick from, and the row order. */
export interface RasterTiles {
  tiles: string[];
  /** `tms` when the template counts rows from the south (Leaflet's `{-y}`). */
  scheme: 'xyz' | 'tms';
}

/**
 * A Leaflet tile URL template as MapLibre's raster source takes it: `{s}` expanded into one URL per
 * subdomain (a, b, c), `{r}` (retina suffix) dropped, `{accessToken}` filled, `{-y}` as `{y}` with the
 * `tms` scheme; `{z}`, `{x}` and `{y}` kept for MapLibre to fill. A template starting with `/` (tiles
 * served beside the web app) is taken on `baseUrl`'s origin, a protocol-relative one gets https.
 */
export function rasterTiles(template: string, options: { token?: string; baseUrl?: string } = {}): RasterTiles {
  let url = template.trim();
  if (url.startsWith('//')) url = `https:${url}`;
  else if (url.startsWith('/') && options.baseUrl) url = new URL(options.baseUrl).origin + url;
  // Leaflet allows spaces inside the braces (`{ z }`); MapLibre does not.
  url = url.replace(/\{ *([\w -]+?) *\}/g, (_match, key: string) => {
    if (key === 'r') return '';
    if (key === 'accessToken') return options.token ?? '';
    if (key === '-y') return '{y}';
    return `{${key}}`;
  });
  const scheme = /\{ *-y *\}/.test(template) ? 'tms' : 'xyz';
  const tiles = url.includes('{s}') ? SUBDOMAINS.map((s) => url.split('{s}').join(s)) : [url];
  return { tiles, scheme };
}
