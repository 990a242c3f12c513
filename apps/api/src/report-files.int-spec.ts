import { ErrorBody, TripList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { countPixels, pagePixels, pngSize, readPdf, wordBoxes } from '@fleet/reports/testing';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { addVehicle, createOrganization, insertPositions, login, type PositionRow } from './testing/tracking-fixtures';

jest.setTimeout(60_000);

const prefix = `test:report-files:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let db: pg.Client;
const token: Record<string, string> = {};
const v: Record<string, string> = {};

// A day with known truth, 2026-03-02 (UTC+1 in Madrid): parked 10 min at A, 20 min east to B at
// 36 km/h (12 km), parked 40 min at B, 30 min north to C at 36 km/h (18 km), parked 30 min at C.
const D0 = Date.parse('2026-03-02T08:00:00Z');
const A = { lat: 40.4, lon: -3.7 };
const B = { lat: 40.4, lon: -3.7 + 12_000 / 84_862 };
const C = { lat: 40.4 + 18_000 / 111_034, lon: B.lon };
const PHASES = [
  { kind: 'stop', at: A, s: 600 },
  { kind: 'drive', from: A, to: B, s: 1_200 },
  { kind: 'stop', at: B, s: 2_400 },
  { kind: 'drive', from: B, to: C, s: 1_800 },
  { kind: 'stop', at: C, s: 1_800 },
] as const;

function day(): PositionRow[] {
  const rows: PositionRow[] = [];
  let k = 0;
  for (const phase of PHASES)
    for (let i = 0; i < phase.s; i++, k++) {
      const ts = D0 + k * 1000;
      if (phase.kind === 'stop')
        rows.push({ ts, lat: phase.at.lat + 0.00002 * Math.sin(k), lon: phase.at.lon, speedKmh: 0, accuracy: 5 });
      else {
        const f = i / phase.s;
        const lat = phase.from.lat + (phase.to.lat - phase.from.lat) * f;
        rows.push({ ts, lat, lon: phase.from.lon + (phase.to.lon - phase.from.lon) * f, speedKmh: 36, accuracy: 5 });
      }
    }
  return rows;
}

const PERIOD = 'from=2026-03-02T00:00:00%2B01:00&to=2026-03-03T00:00:00%2B01:00&timeZone=Europe/Madrid';

beforeAll(async () => {
  testDb = await createTestDatabase('api-report-files');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  const a = await createOrganization(db, 'rep-a');
  const b = await createOrganization(db, 'rep-b');
  await db.query("UPDATE organizations SET name = 'Transportes Peñalara' WHERE id = $1", [a.id]);
  v['truck'] = await addVehicle(db, a.id, 'Camión Ñandú');
  v['van'] = await addVehicle(db, a.id, '=Furgón "Norte", 2');
  v['other'] = await addVehicle(db, b.id, 'Other organization');
  await insertPositions(db, v['truck'], day());
  // Ana drove the truck from before its first trip until just after it ended (the day's first two stops too).
  await db.query(
    `WITH d AS (INSERT INTO drivers (organization_id, name) VALUES ($1, 'Ana Pérez') RETURNING id)
     INSERT INTO driver_assignments (organization_id, vehicle_id, driver_id, started_at, ended_at, source)
     SELECT $1, $2, d.id, '2026-03-02T07:55:00Z', '2026-03-02T08:30:00Z', 'manual' FROM d`,
    [a.id, v['truck']],
  );
  await db.query(
    `INSERT INTO events (organization_id, vehicle_id, type, ts, point, attributes, retracted_at) VALUES
       ($1, $2, 'overspeed', '2026-03-02T08:20:00Z', ST_SetSRID(ST_MakePoint(-3.65, 40.4), 4326), '{"speedKmh": 92.44, "limitKmh": 80}', NULL),
       ($1, $3, 'device_offline', '2026-03-02T12:00:00Z', NULL, '{}', NULL),
       ($1, $3, 'device_online', '2026-03-02T12:30:00Z', NULL, '{}', now()),
       ($1, $2, 'device_offline', '2026-03-03T08:00:00Z', NULL, '{}', NULL),
       ($4, $5, 'device_offline', '2026-03-02T12:00:00Z', NULL, '{}', NULL)`,
    [a.id, v['truck'], v['van'], b.id, v['other']],
  );
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  token['a'] = await login(t.base, a.email);
  token['b'] = await login(t.base, b.email);
});

afterAll(async () => {
  if (t) {
    const keys = await t.api.redis.keys(`${prefix}*`);
    if (keys.length) await t.api.redis.del(...keys.map((k) => k.slice(prefix.length)));
  }
  await t?.api.stop();
  await db?.end();
  await testDb?.drop();
});

const get = (as: string | undefined, path: string) =>
  fetch(`${t.base}/api/v1${path}`, { headers: as ? { authorization: `Bearer ${token[as]}` } : {} });

async function csv(path: string): Promise<string> {
  const res = await get('a', path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  // fetch's text() would drop a byte order mark: decode keeping it.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
}

describe('GET /reports/:kind.csv', () => {
  it('writes the trips of the seeded day exactly, times in Madrid, as an attachment', async () => {
    const res = await get('a', `/reports/trips.csv?vehicleIds=${v['truck']}&${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="trips_2026-03-02_2026-03-03.csv"');
    // The known truth of the day: 12 km from 09:10 and 18 km from 10:10 Madrid time, at 36 km/h (the
    // detection trims the seconds spent within the stops' radius), with the offline places of the ends.
    expect(await res.text()).toBe(
      [
        'Vehicle,Start,End,Duration (s),Distance (km),Max speed (km/h),Avg speed (km/h),Idle (s),Start latitude,Start longitude,End latitude,End longitude,Start place,End place,Driver',
        'Camión Ñandú,2026-03-02T09:10:07+01:00,2026-03-02T09:29:47+01:00,1180,11.804,36,36,0,40.4,-3.699175,40.4,-3.560126,0.3 km W of Arganzuela,2.6 km S of Coslada,Ana Pérez',
        'Camión Ñandú,2026-03-02T10:10:07+01:00,2026-03-02T10:39:46+01:00,1779,17.792,36,36,0,40.40063,-3.558594,40.560852,-3.558594,2.6 km S of Coslada,5.0 km W of Cobeña,',
        '',
      ].join('\r\n'),
    );
    // The same trips as the JSON report.
    const json = TripList.parse(
      await (await get('a', `/vehicles/${v['truck']}/trips?from=2026-03-01T23:00:00Z&to=2026-03-02T23:00:00Z`)).json(),
    );
    expect(json.items.map((trip) => [local(trip.startTime), n(trip.distanceM / 1000, 3)])).toEqual([
      ['2026-03-02T09:10:07+01:00', '11.804'],
      ['2026-03-02T10:10:07+01:00', '17.792'],
    ]);
    // The driver whose assignment covers each trip's start.
    expect(json.items.map((trip) => trip.driver?.name ?? null)).toEqual(['Ana Pérez', null]);
  });

  it('writes the stops in Spanish with a byte order mark for Excel', async () => {
    const text = await csv(`/reports/stops.csv?vehicleIds=${v['truck']}&${PERIOD}&lang=es&bom=true`);
    expect(text).toBe(
      [
        '\uFEFFVehículo,Inicio,Fin,Duración (s),Latitud,Longitud,Sin datos,Lugar,Conductor',
        'Camión Ñandú,2026-03-02T09:00:00+01:00,2026-03-02T09:10:07+01:00,607,40.4,-3.699995,no,0.3 km W of Arganzuela,Ana Pérez',
        'Camión Ñandú,2026-03-02T09:29:47+01:00,2026-03-02T10:10:07+01:00,2420,40.400001,-3.558598,no,2.7 km S of Coslada,Ana Pérez',
        'Camión Ñandú,2026-03-02T10:39:46+01:00,2026-03-02T11:09:59+01:00,1813,40.562107,-3.558594,no,5.0 km W of Cobeña,',
        '',
      ].join('\r\n'),
    );
    // Without bom=true, none.
    expect((await csv(`/reports/stops.csv?vehicleIds=${v['truck']}&${PERIOD}&lang=es`)).charCodeAt(0)).toBe(
      'V'.charCodeAt(0),
    );
  });

  it('writes a summary row per vehicle, guarding and quoting a name that looks like a formula', async () => {
    const text = await csv(`/reports/summary.csv?vehicleIds=${v['truck']},${v['van']}&${PERIOD}`);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'Vehicle,Distance (km),Driving (s),Idle (s),Stopped (s),Max speed (km/h),Avg speed (km/h),Trips,Stops,Fixes',
    );
    expect(lines[1]).toBe('Camión Ñandú,29.596,2959,0,4840,36,36,2,3,7800');
    expect(lines[2]).toBe(`"'=Furgón ""Norte"", 2",0,0,0,0,0,0,0,0,0`);
    expect(lines).toHaveLength(4);
  });

  it("lists the organization's events of the period, oldest first, retracted ones left out", async () => {
    expect(await csv(`/reports/events.csv?${PERIOD}`)).toBe(
      [
        'Time,Vehicle,Type,Geofence,Speed (km/h),Limit (km/h),Latitude,Longitude,Place',
        '2026-03-02T09:20:00+01:00,Camión Ñandú,Overspeed,,92.4,80,40.4,-3.65,0.8 km S of Moratalaz',
        `2026-03-02T13:00:00+01:00,"'=Furgón ""Norte"", 2",Device offline,,,,,,`,
        '',
      ].join('\r\n'),
    );
    const only = await csv(`/reports/events.csv?${PERIOD}&vehicleIds=${v['van']}&lang=es`);
    expect(only.split('\r\n').slice(1, -1)).toEqual([
      `2026-03-02T13:00:00+01:00,"'=Furgón ""Norte"", 2",Dispositivo sin señal,,,,,,`,
    ]);
  });
});

describe('GET /reports/:kind.pdf', () => {
  it('renders the trips in Spanish: header, accents, local times, totals', async () => {
    const res = await get('a', `/reports/trips.pdf?vehicleIds=${v['truck']}&${PERIOD}&lang=es`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="trips_2026-03-02_2026-03-03.pdf"');
    const pdf = Buffer.from(await res.arrayBuffer());
    const { pages, pngs } = readPdf(pdf);
    // Landscape, to make room for the places of the trips' ends.
    expect(pngSize(pngs[0]).width).toBeGreaterThan(pngSize(pngs[0]).height);
    const text = pages.join('\n').replace(/[ \t]+/g, ' ');
    for (const line of [
      'Trayectos',
      'Organización: Transportes Peñalara',
      'Vehículos: Camión Ñandú',
      'Periodo: 02/03/2026 00:00 – 03/03/2026 00:00',
      'Zona horaria: Europe/Madrid',
      'Trayectos: 2',
      `Página 1 de ${pages.length}`,
    ])
      expect(text).toContain(line);
    expect(text).toContain('Distancia: 29,6 km');
    // The speed chart of the day, its time axis in Madrid (fixes from 09:00 to 11:10): the fixes had
    // no altitude or battery, so no such panels.
    for (const line of ['Velocidad a lo largo del tiempo — Camión Ñandú', 'Velocidad (km/h)', 'Hora (Europe/Madrid)'])
      expect(text).toContain(line);
    expect(text).not.toContain('Altitud (m)');
    const chartPage = pages.findIndex((p) => p.includes('Velocidad a lo largo del tiempo')) + 1;
    const words = wordBoxes(pdf, chartPage);
    const tick = (label: string) => {
      const w = words.find((x) => x.text === label);
      if (!w) throw new Error(`no tick ${label}`);
      return ((w.xMin + w.xMax) / 2) * (100 / 72);
    };
    // Hours of the day to pixel columns, from where the 06:00 and 12:00 ticks were written.
    const [x6, x12] = [tick('06:00'), tick('12:00')];
    const xOf = (hour: number) => x6 + ((hour - 6) / 6) * (x12 - x6);
    const image = pagePixels(pdf, { page: chartPage, dpi: 100 });
    const band = { y0: 0, y1: (words.find((x) => x.text === '12:00')?.yMin ?? 0) * (100 / 72) };
    const blue = (r: number, g: number, b: number) => b > 150 && r < 120 && b - g > 50;
    // The truck's 36 km/h and its stops between 09:00 and 11:10 are drawn; nothing after the last fix.
    expect(countPixels(image, { ...band, x0: xOf(9.2), x1: xOf(11) }, blue)).toBeGreaterThan(50);
    expect(countPixels(image, { ...band, x0: xOf(11.5), x1: xOf(20) }, blue)).toBe(0);
    expect(text).toContain(
      'Camión Ñandú Ana Pérez 02/03/2026 09:10 02/03/2026 09:29 0:19:40 11,8 km 36 km/h 36 km/h 0:00:00 0.3 km W of Arganzuela → 2.6 km S of Coslada',
    );
    expect(text).toContain(
      'Camión Ñandú 02/03/2026 10:10 02/03/2026 10:39 0:29:39 17,8 km 36 km/h 36 km/h 0:00:00 2.6 km S of Coslada → 5.0 km W of Cobeña',
    );
  });

  it('renders the summary and the events in English', async () => {
    const summary = readPdf(
      Buffer.from(await (await get('a', `/reports/summary.pdf?vehicleIds=${v['truck']}&${PERIOD}`)).arrayBuffer()),
    ).pages[0];
    expect(summary).toMatch(/Summary/);
    expect(summary).toContain('Speed over time — Camión Ñandú');
    expect(summary.replace(/[ \t]+/g, ' ')).toContain(
      'Camión Ñandú 29.6 km 0:49:19 0:00:00 1:20:40 36 km/h 36 km/h 2 3',
    );
    const events = readPdf(Buffer.from(await (await get('a', `/reports/events.pdf?${PERIOD}`)).arrayBuffer())).pages[0];
    expect(events).toContain('Vehicles: All vehicles');
    expect(events.replace(/[ \t]+/g, ' ')).toContain('2026-03-02 09:20 Camión Ñandú Overspeed 92 / 80 km/h');
  });
});

describe('refusals', () => {
  async function refused(path: string, as: string | null = 'a') {
    const res = await get(as ?? undefined, path);
    return { status: res.status, body: res.status === 401 ? undefined : ErrorBody.parse(await res.json()) };
  }
  const paths = (r: { body?: ErrorBody }) => r.body?.error.details?.map((d) => d.path) ?? [];

  it('answers 400 naming the bad parameter', async () => {
    for (const [query, param] of [
      [`vehicleIds=${v['truck']}&${PERIOD}&timeZone=Mars/Olympus`, 'timeZone'],
      [`vehicleIds=${v['truck']}&${PERIOD}&lang=fr`, 'lang'],
      [`vehicleIds=not-an-id&${PERIOD}`, 'vehicleIds'],
      [PERIOD, 'vehicleIds'],
      [`vehicleIds=${v['truck']}&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`, 'to'],
      [`vehicleIds=${v['truck']}&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`, 'from'],
      [`vehicleIds=${v['truck']}&${PERIOD}&format=xlsx`, 'format'],
    ]) {
      for (const ext of ['pdf', 'csv']) {
        const r = await refused(`/reports/trips.${ext}?${query}`);
        expect({ query, status: r.status, paths: paths(r) }).toEqual({ query, status: 400, paths: [param] });
      }
    }
  });

  it("answers 404 for another organization's vehicle and for an unknown kind, 401 without a token", async () => {
    for (const ext of ['pdf', 'csv']) {
      expect((await refused(`/reports/trips.${ext}?vehicleIds=${v['other']}&${PERIOD}`)).status).toBe(404);
      expect((await refused(`/reports/trips.${ext}?vehicleIds=${v['truck']},${v['other']}&${PERIOD}`)).status).toBe(
        404,
      );
      expect((await refused(`/reports/events.${ext}?vehicleIds=${v['other']}&${PERIOD}`)).status).toBe(404);
      expect((await refused(`/reports/journeys.${ext}?vehicleIds=${v['truck']}&${PERIOD}`)).status).toBe(404);
      // The other organization's own vehicle is fine for its own users, and shows none of ours.
      const theirs = await get('b', `/reports/events.${ext}?${PERIOD}`);
      expect(theirs.status).toBe(200);
      if (ext === 'csv') expect(await theirs.text()).not.toContain('Ñandú');
      expect((await refused(`/reports/trips.${ext}?vehicleIds=${v['truck']}&${PERIOD}`, null)).status).toBe(401);
    }
  });
});

/** A number as the CSV writes it: rounded to `digits` decimals, no trailing zeros. */
const n = (x: number, digits: number) => String(Number(x.toFixed(digits)));

/** ISO-8601 in Madrid in March 2026 (UTC+1), to the second. */
function local(iso: string): string {
  const ms = Math.floor(Date.parse(iso) / 1000) * 1000 + 3_600_000;
  return `${new Date(ms).toISOString().slice(0, 19)}+01:00`;
}
