import { EventList, StopList, TripList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { destination } from '@fleet/geo';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { startTestApi, type StartedApi } from '../testing/harness';
import { addVehicle, createOrganization, insertPositions, login, type PositionRow } from '../testing/tracking-fixtures';

jest.setTimeout(60_000);

let testDb: TestDatabase;
let db: pg.Client;
let offline: StartedApi;
let online: StartedApi;
let tokenOffline: string;
let tokenOnline: string;
let vehicle: string;
let geocoder: http.Server;
const calls: string[] = [];

const HOUR = 3_600_000;
const D0 = Math.floor(Date.now() / 1000) * 1000 - 6 * HOUR;
const ALCOBENDAS = { lat: 40.54746, lon: -3.64197 };
const A = destination(ALCOBENDAS, 225, 2_300);
const B = destination(A, 180, 6_000);
const period = `?from=${new Date(D0 - 60_000).toISOString()}&to=${new Date(D0 + 2 * HOUR).toISOString()}`;

/** Parked 15 min at A, 10 min south to B at 36 km/h, parked 20 min at B (inside "Depot Norte"). */
function day(): PositionRow[] {
  const rows: PositionRow[] = [];
  let k = 0;
  const at = (p: { lat: number; lon: number }, s: number) => {
    for (let i = 0; i < s; i += 5, k += 5) rows.push({ ts: D0 + k * 1000, ...p, speedKmh: 0, accuracy: 5 });
  };
  at(A, 900);
  for (let i = 0; i < 600; i += 5, k += 5) {
    const f = i / 600;
    rows.push({
      ts: D0 + k * 1000,
      lat: A.lat + (B.lat - A.lat) * f,
      lon: A.lon + (B.lon - A.lon) * f,
      speedKmh: 36,
      accuracy: 5,
    });
  }
  at(B, 1_200);
  return rows;
}

beforeAll(async () => {
  geocoder = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    calls.push(`${url.searchParams.get('lat')},${url.searchParams.get('lon')}`);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ address: { road: 'Calle Falsa', house_number: '123', town: 'Fakeville' } }));
  });
  await new Promise<void>((resolve) => geocoder.listen(0, '127.0.0.1', resolve));
  const geocoderUrl = `http://127.0.0.1:${(geocoder.address() as AddressInfo).port}`;

  testDb = await createTestDatabase('api-places');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  const org = await createOrganization(db, 'places-a');
  vehicle = await addVehicle(db, org.id, 'Van');
  await insertPositions(db, vehicle, day());
  await db.query(
    `INSERT INTO geofences (organization_id, name, kind, area)
     VALUES ($1, 'Depot Norte', 'circle', ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 500)::geometry)`,
    [org.id, B.lon, B.lat],
  );
  await db.query(
    `INSERT INTO events (organization_id, vehicle_id, type, ts, point)
     VALUES ($1, $2, 'geofence_enter', $3, ST_SetSRID(ST_MakePoint($4, $5), 4326)),
            ($1, $2, 'device_online', $6, NULL)`,
    [org.id, vehicle, new Date(D0 + 1_500_000).toISOString(), B.lon, B.lat, new Date(D0).toISOString()],
  );
  offline = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:places-off:${process.pid}:` });
  online = await startTestApi(
    { DATABASE_URL: testDb.url, GEOCODER_URL: geocoderUrl, GEOCODER_RATE_PER_SEC: '100', GEOCODER_WAIT_MS: '5000' },
    { keyPrefix: `test:places-on:${process.pid}:` },
  );
  tokenOffline = await login(offline.base, org.email);
  tokenOnline = await login(online.base, org.email);
});

afterAll(async () => {
  await Promise.all([offline?.api.stop(), online?.api.stop()]);
  await db?.end();
  await testDb?.drop();
  geocoder?.closeAllConnections();
  await new Promise((resolve) => geocoder?.close(resolve));
});

const get = async (api: StartedApi, token: string, path: string): Promise<Record<string, unknown>> => {
  const res = await fetch(`${api.base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

describe('places in reports and events, offline (no geocoder configured)', () => {
  it('names each stop by its geofence, else by distance and direction from the nearest town', async () => {
    const stops = StopList.parse(await get(offline, tokenOffline, `/vehicles/${vehicle}/stops${period}`)).items;
    expect(stops.map((s) => s.place)).toEqual(['2.3 km SW of Alcobendas', 'Depot Norte']);
  });

  it("gives each trip's start and end a place", async () => {
    const trips = TripList.parse(await get(offline, tokenOffline, `/vehicles/${vehicle}/trips${period}`)).items;
    expect(trips).toHaveLength(1);
    expect(trips[0].start.place).toMatch(/^2\.\d km S?W of Alcobendas$/);
    expect(trips[0].end.place).toBe('Depot Norte');
  });

  it('gives events with a position a place, and none to those without', async () => {
    const { items } = EventList.parse(await get(offline, tokenOffline, '/events'));
    const byType = Object.fromEntries(items.map((e) => [e.type, e]));
    expect(byType['geofence_enter'].place).toBe('Depot Norte');
    expect(byType['device_online'].place).toBeUndefined();
    const one = await get(offline, tokenOffline, `/events/${byType['geofence_enter'].id}`);
    expect(one.place).toBe('Depot Norte');
    expect(calls).toHaveLength(0);
  });
});

describe('places with the online geocoder', () => {
  it("shows the service's address for stops, trips and events, asking once per cell", async () => {
    const stops = StopList.parse(await get(online, tokenOnline, `/vehicles/${vehicle}/stops${period}`)).items;
    expect(stops.map((s) => s.place)).toEqual(['Calle Falsa 123, Fakeville', 'Calle Falsa 123, Fakeville']);
    const trips = TripList.parse(await get(online, tokenOnline, `/vehicles/${vehicle}/trips${period}`)).items;
    expect([trips[0].start.place, trips[0].end.place]).toEqual([
      'Calle Falsa 123, Fakeville',
      'Calle Falsa 123, Fakeville',
    ]);
    const { items } = EventList.parse(await get(online, tokenOnline, '/events'));
    expect(items.find((e) => e.type === 'geofence_enter')?.place).toBe('Calle Falsa 123, Fakeville');
    const asked = calls.length;
    expect(new Set(calls).size).toBe(asked);
    // Asked again: everything from the cache.
    await get(online, tokenOnline, `/vehicles/${vehicle}/stops${period}`);
    await get(online, tokenOnline, '/events');
    expect(calls).toHaveLength(asked);
  });
});
