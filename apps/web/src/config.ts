import { z } from 'zod';
import { buildEnv } from './env';

/** OpenStreetMap's standard tiles: the default when nothing is configured. */
export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
export const DEFAULT_ATTRIBUTION = '&copy; OpenStreetMap contributors';

/** What `/config.json` may set at run time (written by the container from MAP_TILE_URL / MAP_TOKEN). */
const RuntimeConfig = z
  .object({
    mapTileUrl: z.string().max(2048).optional(),
    mapToken: z.string().max(2048).optional(),
    mapAttribution: z.string().max(500).optional(),
    /** Where the map opens before any vehicle is known: [lat, lon]. */
    mapCenter: z.tuple([z.number(), z.number()]).optional(),
    mapZoom: z.number().int().min(1).max(19).optional(),
    /** The phones' server address shown on the device setup page, when it differs from this site. */
    trackerServerUrl: z.string().max(2048).optional(),
    /** Traccar Client's port (OsmAnd listener). */
    osmandPort: z.number().int().min(1).max(65535).optional(),
  })
  .partial();
type RuntimeConfig = z.infer<typeof RuntimeConfig>;

export interface WebConfig {
  tileUrl: string;
  tileToken?: string;
  attribution: string;
  center: [number, number];
  zoom: number;
  trackerServerUrl?: string;
  osmandPort: number;
}

/** Build-time values, overridden by whatever `/config.json` says; empty strings count as unset. */
export function resolveConfig(runtime: RuntimeConfig, build = buildEnv): WebConfig {
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v.trim() !== '');
  return {
    tileUrl: pick(runtime.mapTileUrl, build.mapTileUrl) ?? DEFAULT_TILE_URL,
    tileToken: pick(runtime.mapToken, build.mapToken),
    attribution: pick(runtime.mapAttribution) ?? DEFAULT_ATTRIBUTION,
    center: runtime.mapCenter ?? [40.4168, -3.7038],
    zoom: runtime.mapZoom ?? 12,
    trackerServerUrl: pick(runtime.trackerServerUrl),
    osmandPort: runtime.osmandPort ?? 5055,
  };
}

/** Reads `/config.json`; a missing or broken file means the defaults (the map must always come up). */
export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<WebConfig> {
  try {
    const res = await fetchImpl('/config.json', { cache: 'no-store' });
    if (!res.ok) return resolveConfig({});
    const parsed = RuntimeConfig.safeParse(await res.json());
    return resolveConfig(parsed.success ? parsed.data : {});
  } catch {
    return resolveConfig({});
  }
}
