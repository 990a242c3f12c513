import { simplifyToMaxPointsIndices, type LatLon } from '@fleet/geo';
import type http from 'node:http';
import type { ApiHandler } from './static-server';

/**
 * A stand-in API for the performance script: a fleet of any size whose every vehicle streams one fix a
 * second on the live stream, and a 30-day 1 Hz history simplified the way the real API does it
 * (`maxPoints`, Douglas–Peucker from @fleet/geo). It measures the browser, not the server.
 */
export interface FakeFleet {
  handler: ApiHandler;
  vehicleIds: string[];
  /** Fixes pushed on live streams so far. */
  sent(): number;
  /** Builds the simplified history ahead (so the page measures the browser, not this script). */
  prepareHistory(maxPoints: number): { raw: number; ms: number; body: string };
  stop(): void;
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ORG = uuid(999_999);
const USER = {
  id: uuid(999_998),
  email: 'perf@example.com',
  name: 'Perf',
  role: 'admin',
  organization: { id: ORG, name: 'Perf' },
};
const MADRID = { lat: 40.4168, lon: -3.7038 };

function json(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A deterministic pseudo-random sequence (the same fleet every run). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

interface Moving {
  lat: number;
  lon: number;
  heading: number;
  speed: number;
}

export function fakeFleet(options: { vehicles: number; updatesPerSecondEach: number; historyDays: number }): FakeFleet {
  const rnd = random(42);
  const vehicleIds = Array.from({ length: options.vehicles }, (_, i) => uuid(i + 1));
  const state: Moving[] = vehicleIds.map(() => ({
    lat: MADRID.lat + (rnd() - 0.5) * 0.3,
    lon: MADRID.lon + (rnd() - 0.5) * 0.4,
    heading: rnd() * 360,
    speed: rnd() < 0.6 ? 20 + rnd() * 60 : 0,
  }));
  const streams = new Set<http.ServerResponse>();
  let sent = 0;
  let eventId = 0;
  let historyCache: { maxPoints: number; body: string; ms: number; raw: number } | undefined;

  const fixOf = (i: number, now: number) => ({
    vehicleId: vehicleIds[i],
    ts: new Date(now).toISOString(),
    lat: state[i].lat,
    lon: state[i].lon,
    speedKmh: state[i].speed,
    heading: state[i].heading,
    altitude: null,
    accuracy: 5,
    battery: 80,
    attributes: null,
  });

  // Every vehicle once a second, spread over ten ticks (as fixes arrive from a real fleet).
  const tickMs = 100;
  let cursor = 0;
  const perTick = Math.ceil((options.vehicles * options.updatesPerSecondEach) / (1000 / tickMs));
  const timer = setInterval(() => {
    if (streams.size === 0) return;
    const now = Date.now();
    let chunk = '';
    for (let k = 0; k < perTick; k++) {
      const i = cursor++ % options.vehicles;
      const v = state[i];
      if (v.speed > 0) {
        v.heading = (v.heading + (rnd() - 0.5) * 20 + 360) % 360;
        const d = v.speed / 3.6 / 111_320; // degrees moved in a second, roughly
        v.lat += Math.cos((v.heading * Math.PI) / 180) * d;
        v.lon += (Math.sin((v.heading * Math.PI) / 180) * d) / Math.cos((v.lat * Math.PI) / 180);
      }
      chunk += `id: ${++eventId}\nevent: position\ndata: ${JSON.stringify(fixOf(i, now))}\n\n`;
    }
    for (const res of streams) res.write(chunk);
    sent += perTick;
  }, tickMs);

  function history(maxPoints: number) {
    if (historyCache?.maxPoints === maxPoints) return historyCache;
    // 30 days at 1 Hz around the clock (2.6 M fixes): drives of 20–60 min between stops of 10–90 min,
    // the tracker reporting every second while parked too (the worst case for the server).
    const started = performance.now();
    const r = random(7);
    const points: (LatLon & { t: number; speed: number; heading: number })[] = [];
    const day0 = Date.parse('2026-10-01T00:00:00Z');
    let lat = MADRID.lat;
    let lon = MADRID.lon;
    let heading = 90;
    for (let day = 0; day < options.historyDays; day++) {
      let t = day0 + day * 86_400_000;
      const end = day0 + (day + 1) * 86_400_000;
      while (t < end) {
        const drive = (20 + r() * 40) * 60;
        for (let s = 0; s < drive && t < end; s++, t += 1000) {
          heading = (heading + (r() - 0.5) * 6 + 360) % 360;
          const speed = 30 + 20 * Math.sin(s / 60);
          const d = speed / 3.6 / 111_320;
          lat += Math.cos((heading * Math.PI) / 180) * d;
          lon += (Math.sin((heading * Math.PI) / 180) * d) / Math.cos((lat * Math.PI) / 180);
          if (Math.abs(lat - MADRID.lat) > 0.15) heading = (heading + 180) % 360;
          if (Math.abs(lon - MADRID.lon) > 0.2) heading = (heading + 180) % 360;
          points.push({ lat, lon, t, speed, heading });
        }
        const stop = (10 + r() * 80) * 60;
        for (let s = 0; s < stop && t < end; s++, t += 1000) points.push({ lat, lon, t, speed: 0, heading });
      }
    }
    const keep = simplifyToMaxPointsIndices(points, maxPoints);
    let body = '{"type":"FeatureCollection","features":[';
    keep.forEach((idx, k) => {
      const p = points[idx];
      body += `${k ? ',' : ''}{"type":"Feature","geometry":{"type":"Point","coordinates":[${p.lon.toFixed(7)},${p.lat.toFixed(7)}]},"properties":{"ts":"${new Date(p.t).toISOString()}","speedKmh":${p.speed.toFixed(1)},"heading":${p.heading.toFixed(0)}}}`;
    });
    body += ']}';
    historyCache = { maxPoints, body, ms: performance.now() - started, raw: points.length };
    return historyCache;
  }

  const handler: ApiHandler = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const period = {
      vehicleId: vehicleIds[0],
      from: '2026-10-01T00:00:00Z',
      to: '2026-10-31T00:00:00Z',
      fixes: 0,
      sampledEvery: 1,
    };
    if (p === '/api/v1/auth/refresh' || p === '/api/v1/auth/login')
      return json(res, 200, { accessToken: 'perf', tokenType: 'Bearer', expiresIn: 3600, user: USER });
    if (p === '/api/v1/vehicles') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const items = vehicleIds.slice(offset, offset + limit).map((id, k) => ({
        id,
        name: `Vehicle ${String(offset + k + 1).padStart(4, '0')}`,
        plate: null,
        type: 'van',
        speedLimitKmh: null,
        color: null,
        icon: null,
        attributes: {},
        deviceIdentifier: `perf-${offset + k + 1}`,
        deviceDisabled: false,
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      }));
      return json(res, 200, { items, total: vehicleIds.length, limit, offset });
    }
    if (p === '/api/v1/positions/latest') {
      const now = Date.now();
      return json(res, 200, {
        type: 'FeatureCollection',
        features: vehicleIds.map((id, i) => {
          const f = fixOf(i, now);
          return {
            type: 'Feature',
            id,
            geometry: { type: 'Point', coordinates: [f.lon, f.lat] },
            properties: {
              vehicleId: id,
              name: `Vehicle ${i + 1}`,
              ts: f.ts,
              speedKmh: f.speedKmh,
              heading: f.heading,
              altitude: null,
              accuracy: 5,
              battery: 80,
              status: f.speedKmh > 3 ? 'moving' : 'stopped',
              ageSeconds: 0,
            },
          };
        }),
      });
    }
    if (p === '/api/v1/live') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (p === '/api/v1/geofences') return json(res, 200, { items: [], total: 0, limit: 500, offset: 0 });
    if (/\/history$/.test(p)) {
      const h = history(Number(url.searchParams.get('maxPoints') ?? 5000));
      res.writeHead(200, {
        'content-type': 'application/geo+json',
        'x-raw-points': String(h.raw),
        'x-simplify-ms': h.ms.toFixed(0),
      });
      return res.end(h.body);
    }
    if (/\/trips$/.test(p) || /\/stops$/.test(p)) return json(res, 200, { ...period, items: [] });
    if (/\/summary$/.test(p))
      return json(res, 200, {
        ...period,
        distanceM: 0,
        drivingS: 0,
        idleS: 0,
        stoppedS: 0,
        maxSpeedKmh: 0,
        avgSpeedKmh: 0,
        trips: 0,
        stops: 0,
      });
    json(res, 404, { error: { code: 'not_found', message: p } });
  };

  return {
    handler,
    vehicleIds,
    sent: () => sent,
    prepareHistory: history,
    stop: () => {
      clearInterval(timer);
      for (const res of streams) res.end();
    },
  };
}
