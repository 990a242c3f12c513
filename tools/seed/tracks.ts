import geodesic from 'geographiclib-geodesic';
import { routePolyline, ROUTES } from './madrid';
import { seededRandom } from '@fleet/geo';

const WGS84 = geodesic.Geodesic.WGS84;

export interface SeedFix {
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number;
  heading: number;
}

/**
 * One working day of a vehicle: from 08:00 to about 18:00 (UTC), laps of its route at city speeds
 * with stops of 5–20 minutes at the ends of each street, a fix every `stepSeconds`.
 */
export function workingDay(vehicleIndex: number, dayStart: number, stepSeconds: number): SeedFix[] {
  const random = seededRandom(vehicleIndex * 7919 + Math.floor(dayStart / 86_400_000));
  const line = routePolyline(ROUTES[vehicleIndex % ROUTES.length]);
  const fixes: SeedFix[] = [];
  let t = dayStart + 8 * 3_600_000 + Math.floor(random() * 30) * 60_000;
  const end = dayStart + 18 * 3_600_000;
  let segment = Math.floor(random() * (line.length - 1));
  while (t < end) {
    const [lat1, lon1] = line[segment];
    const [lat2, lon2] = line[(segment + 1) % line.length];
    const g = WGS84.Inverse(lat1, lon1, lat2, lon2);
    const speedKmh = 20 + random() * 35;
    const seconds = Math.max(stepSeconds, (g.s12 ?? 0) / (speedKmh / 3.6));
    for (let s = 0; s < seconds && t < end; s += stepSeconds, t += stepSeconds * 1000) {
      const p = WGS84.Direct(lat1, lon1, g.azi1 ?? 0, ((g.s12 ?? 0) * s) / seconds);
      fixes.push({
        ts: t,
        lat: p.lat2 ?? lat1,
        lon: p.lon2 ?? lon1,
        speedKmh: Math.round((speedKmh + (random() - 0.5) * 6) * 10) / 10,
        heading: Math.round((((g.azi1 ?? 0) + 360) % 360) * 10) / 10,
      });
    }
    segment = (segment + 1) % (line.length - 1);
    if (random() < 0.05) {
      // A delivery stop: parked, still reporting.
      const stop = (5 + Math.floor(random() * 15)) * 60_000;
      for (const stopEnd = Math.min(end, t + stop); t < stopEnd; t += stepSeconds * 4 * 1000) {
        fixes.push({ ts: t, lat: lat2, lon: lon2, speedKmh: 0, heading: fixes[fixes.length - 1]?.heading ?? 0 });
      }
    }
  }
  return fixes;
}
