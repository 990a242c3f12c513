import type { Cities } from './cities';

const CELL_DEG = 0.1;
const ROWS = 180 / CELL_DEG;
const COLS = 360 / CELL_DEG;
const EARTH_RADIUS_KM = 6371.0088;
/** Fewer km than any degree of latitude on the sphere (111.19 km), so a box in degrees covers the circle. */
const KM_PER_DEG_BOUND = 110.5;
/** Circles searched in turn; past the last, nothing counts as near. */
const RADII_KM = [3, 10, 30, 100, 200];

export interface NearestCity {
  index: number;
  name: string;
  country: string;
  lat: number;
  lon: number;
}

const row = (lat: number) => Math.min(ROWS - 1, Math.max(0, Math.floor((lat + 90) / CELL_DEG)));
const col = (lon: number) => ((Math.floor((lon + 180) / CELL_DEG) % COLS) + COLS) % COLS;

function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Nearest populated place to a point: a grid of 0.1° cells built once; a query scans the cells of
 * a box around the point for growing radii and stops at the first radius holding a place (every
 * place within the radius lies in its box, so the nearest one is among those scanned).
 */
export class CityIndex {
  private readonly cells = new Map<number, Int32Array>();

  constructor(private readonly cities: Cities) {
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < cities.count; i++) {
      const key = row(cities.lat[i]) * COLS + col(cities.lon[i]);
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = []));
      bucket.push(i);
    }
    for (const [key, bucket] of buckets) this.cells.set(key, Int32Array.from(bucket));
  }

  get size(): number {
    return this.cities.count;
  }

  nearest(lat: number, lon: number): NearestCity | undefined {
    for (const radiusKm of RADII_KM) {
      const found = this.within(lat, lon, radiusKm);
      if (found !== undefined) return this.city(found);
    }
    return undefined;
  }

  private within(lat: number, lon: number, radiusKm: number): number | undefined {
    const c = this.cities;
    const dLat = radiusKm / KM_PER_DEG_BOUND;
    const south = lat - dLat;
    const north = lat + dLat;
    const edge = Math.max(Math.abs(south), Math.abs(north));
    // Near a pole the circle may span every longitude.
    const dLon = edge >= 89.9 ? 180 : dLat / Math.cos((edge * Math.PI) / 180);
    const rows = [row(south), row(north)];
    const cols = dLon >= 180 ? COLS : Math.min(COLS, Math.floor((2 * dLon) / CELL_DEG) + 2);
    const firstCol = dLon >= 180 ? 0 : col(lon - dLon);
    let best: number | undefined;
    let bestKm = radiusKm;
    for (let r = rows[0]; r <= rows[1]; r++) {
      for (let k = 0; k < cols; k++) {
        const bucket = this.cells.get(r * COLS + ((firstCol + k) % COLS));
        if (!bucket) continue;
        for (const i of bucket) {
          const d = haversineKm(lat, lon, c.lat[i], c.lon[i]);
          if (d <= bestKm) {
            bestKm = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  private city(i: number): NearestCity {
    const c = this.cities;
    return { index: i, name: c.names[i], country: c.countries[i], lat: c.lat[i], lon: c.lon[i] };
  }
}
