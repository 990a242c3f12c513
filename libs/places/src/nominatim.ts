/** What a reverse-geocoding call gave: a place, the service's word that it has none, or a failure. */
export type ReverseResult = { kind: 'place'; place: string } | { kind: 'none' } | { kind: 'failed'; reason: string };

export interface NominatimOptions {
  /** Base URL of a Nominatim-compatible API; `/reverse` is appended. */
  url: string;
  timeoutMs: number;
  /** Accept-Language for the names (e.g. `es,en`); the service's default when unset. */
  language?: string;
}

const MAX_PLACE_LENGTH = 200;

interface NominatimAddress {
  road?: string;
  pedestrian?: string;
  footway?: string;
  house_number?: string;
  city?: string;
  town?: string;
  village?: string;
  hamlet?: string;
  municipality?: string;
  suburb?: string;
  county?: string;
  state?: string;
  country?: string;
}

/** Street and number, then the town: "Calle Mayor 12, Madrid"; the service's display name otherwise. */
export function shortPlace(body: { display_name?: unknown; address?: NominatimAddress }): string | undefined {
  const a = body.address ?? {};
  const street = a.road ?? a.pedestrian ?? a.footway;
  const town = a.city ?? a.town ?? a.village ?? a.hamlet ?? a.municipality ?? a.suburb ?? a.county;
  const parts = [street && a.house_number ? `${street} ${a.house_number}` : street, town].filter(
    (p): p is string => typeof p === 'string' && p.trim() !== '',
  );
  const text = parts.length ? parts.join(', ') : typeof body.display_name === 'string' ? body.display_name : '';
  // Control characters (a newline in a CSV cell, NUL) become spaces.
  const clean = [...text]
    .map((ch) => (ch.charCodeAt(0) < 0x20 ? ' ' : ch))
    .join('')
    .trim();
  return clean ? clean.slice(0, MAX_PLACE_LENGTH) : undefined;
}

/** One reverse-geocoding call (Nominatim's `/reverse`, jsonv2), bounded by `timeoutMs`. */
export async function reverseGeocode(options: NominatimOptions, lat: number, lon: number): Promise<ReverseResult> {
  const url = new URL(`${options.url.replace(/\/+$/, '')}/reverse`);
  url.searchParams.set('format', 'jsonv2');
  url.searchParams.set('lat', lat.toFixed(6));
  url.searchParams.set('lon', lon.toFixed(6));
  url.searchParams.set('zoom', '18');
  url.searchParams.set('addressdetails', '1');
  const headers: Record<string, string> = {
    Accept: 'application/json',
    // Public Nominatim instances require an identifying User-Agent.
    'User-Agent': 'fleet-tracking (self-hosted fleet GPS platform; reverse geocoding of stops)',
  };
  if (options.language) headers['Accept-Language'] = options.language;
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return { kind: 'failed', reason: `HTTP ${res.status}` };
    }
    const body = (await res.json()) as { error?: unknown; display_name?: unknown; address?: NominatimAddress };
    if (body && typeof body === 'object' && body.error !== undefined) return { kind: 'none' };
    const place = shortPlace(body ?? {});
    return place ? { kind: 'place', place } : { kind: 'none' };
  } catch (err) {
    return { kind: 'failed', reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
