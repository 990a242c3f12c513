import { HistoryFeatureCollection, LatestPositions, NearestList, StopList, TripList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { SaxesParser } from 'saxes';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { addVehicle, createOrganization, login } from './testing/tracking-fixtures';

/**
 * Stored attributes (what trackers send beside the position: ignition, charge, hdop, rpm, OwnTracks
 * `bs`/`conn`…) read back through every query: history in GeoJSON, CSV and GPX, raw and simplified;
 * latest; nearest; the trips and stops reports.
 */

const prefix = `test:attributes:${process.pid}:`;
const FLEET_NS = 'urn:x-fleet:gpx:attributes:1';
let testDb: TestDatabase;
let t: StartedApi;
let db: pg.Client;
let token: string;
let org: string;
const v: Record<string, string> = {};
const MIN = 60_000;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 5 * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

// A key that needs quoting in CSV and escaping in XML, and text values a spreadsheet would run.
const AWKWARD_KEY = 'we"ird,key\nwith <tags> & more';

// 10 min parked at A (ignition off), 20 min east at 36 km/h (ignition on), 10 min parked at B.
const N = 2_400;
const A = { lat: 40.4, lon: -3.7 };
const B = { lat: 40.4, lon: -3.7 + 12_000 / 84_862 };
const driving = (k: number) => k >= 600 && k < 1_800;
const at = (k: number) => {
  const f = k < 600 ? 0 : k >= 1_800 ? 1 : (k - 600) / 1_200;
  return { lat: A.lat + (B.lat - A.lat) * f, lon: A.lon + (B.lon - A.lon) * f };
};
/** What fix k carries: every kind of JSON value, some keys only on some fixes. */
function attributesOf(k: number): Record<string, unknown> {
  const a: Record<string, unknown> = {
    ignition: driving(k),
    charge: false,
    hdop: 0.9,
    rpm: driving(k) ? 1500 : 0,
    bs: 2,
    conn: 'w',
    seq: k,
  };
  if (k % 3 === 0) a[AWKWARD_KEY] = '=HYPERLINK("http://evil.example","x")';
  if (k % 5 === 0) a['note'] = '+1, "quoted"\nsecond line <b>&amp;</b>';
  if (k % 7 === 0) a['nested'] = { a: [1, 'x', null], b: { c: true } };
  if (k % 11 === 0) a['nothing'] = null;
  if (k % 13 === 0) a['temp'] = -3.5;
  if (k % 17 === 0) a['ctl'] = 'bell\u0007tab\tcr\r';
  return a;
}
const tsOf = (k: number) => T0 + k * 1_000;
const kOf = (ts: string) => (Date.parse(ts) - T0) / 1_000;

beforeAll(async () => {
  testDb = await createTestDatabase('api-attributes');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  const a = await createOrganization(db, 'attr-a');
  org = a.id;
  v['car'] = await addVehicle(db, org, 'Car');
  v['plain'] = await addVehicle(db, org, 'Plain');
  const ks = Array.from({ length: N }, (_, k) => k);
  await db.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh, accuracy, attributes)
     SELECT $1, to_timestamp(t / 1000.0), ST_SetSRID(ST_MakePoint(lon, lat), 4326), s, 5, attrs::jsonb
       FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::real[], $6::text[]) AS r(t, lat, lon, s, attrs)`,
    [
      v['car'],
      ks.map(tsOf),
      ks.map((k) => at(k).lat),
      ks.map((k) => at(k).lon),
      ks.map((k) => (driving(k) ? 36 : 0)),
      ks.map((k) => JSON.stringify(attributesOf(k))),
    ],
  );
  // A vehicle whose fixes carry no attributes at all (NULL, as protocols without extras store them).
  await db.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh)
     SELECT $1, $2::timestamptz + make_interval(secs => k), ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326), 0
       FROM generate_series(0, 9) k`,
    [v['plain'], new Date(T0)],
  );
  const last = N - 1;
  await db.query(
    `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, attributes)
     VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), 0, $6::jsonb),
            ($7, $2, $3, ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326), 0, NULL)`,
    [v['car'], org, new Date(tsOf(last)), at(last).lon, at(last).lat, JSON.stringify(attributesOf(last)), v['plain']],
  );
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  token = await login(t.base, a.email);
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

async function get(path: string): Promise<Response> {
  const res = await fetch(`${t.base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res;
}
const period = `from=${iso(T0)}&to=${iso(T0 + N * 1_000)}`;

interface Feature {
  geometry: { coordinates: number[] };
  properties: { ts: string; attributes?: Record<string, unknown> };
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

/** The documented CSV cell of an attribute value: text as is (formula-looking text after a '), the rest as JSON. */
function expectedCell(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return JSON.stringify(value);
}

/** Each `<trkpt>`'s time and its fleet:attr extensions, read back to typed values. */
function gpxAttributes(xml: string): Array<{ ts: string; attributes: Record<string, unknown> }> {
  const parser = new SaxesParser({ xmlns: true });
  const out: Array<{ ts: string; attributes: Record<string, unknown> }> = [];
  let attr: { name: string; type?: string } | undefined;
  let inTime = false;
  let text = '';
  parser.on('opentag', (tag) => {
    text = '';
    if (tag.local === 'trkpt') out.push({ ts: '', attributes: {} });
    inTime = tag.local === 'time';
    if (tag.uri === FLEET_NS && tag.local === 'attr') {
      const attrs = tag.attributes as Record<string, { value: string }>;
      attr = { name: attrs['name']!.value, type: attrs['type']?.value };
    }
  });
  parser.on('text', (s) => {
    text += s;
  });
  parser.on('closetag', (tag) => {
    const point = out[out.length - 1];
    if (inTime && tag.local === 'time' && point) point.ts = new Date(text).toISOString();
    inTime = false;
    if (tag.uri === FLEET_NS && tag.local === 'attr' && attr && point) {
      point.attributes[attr.name] =
        attr.type === 'number'
          ? Number(text)
          : attr.type === 'boolean'
            ? text === 'true'
            : attr.type === 'json'
              ? JSON.parse(text)
              : text;
      attr = undefined;
    }
  });
  parser.write(xml).close();
  return out;
}

describe('stored attributes read back', () => {
  jest.setTimeout(60_000);

  it('GeoJSON history: every raw fix carries its attributes object, a fix without any an empty one', async () => {
    const body = (await (await get(`/vehicles/${v['car']}/history?${period}`)).json()) as { features: Feature[] };
    HistoryFeatureCollection.parse(body); // the documented shape
    const features = body.features;
    expect(features).toHaveLength(N);
    features.forEach((f, k) => {
      expect(f.properties.ts).toBe(iso(tsOf(k)));
      expect(f.properties.attributes).toEqual(attributesOf(k));
    });
    const plain = ((await (await get(`/vehicles/${v['plain']}/history?${period}`)).json()) as { features: Feature[] })
      .features;
    expect(plain).toHaveLength(10);
    for (const f of plain) expect(f.properties.attributes).toEqual({});
  });

  it('GeoJSON simplified track: the kept fixes carry their own attributes', async () => {
    for (const query of ['maxPoints=100', 'simplify=5']) {
      const features = (
        (await (await get(`/vehicles/${v['car']}/history?${period}&${query}`)).json()) as { features: Feature[] }
      ).features;
      expect(features.length).toBeGreaterThanOrEqual(2); // a straight road keeps its ends only
      expect(features.length).toBeLessThanOrEqual(100);
      for (const f of features) expect(f.properties.attributes).toEqual(attributesOf(kOf(f.properties.ts)));
    }
  });

  it('CSV history: one column per attribute key in a stable order, values escaped against injection and quoting', async () => {
    const res = await get(`/vehicles/${v['car']}/history?${period}&format=csv`);
    const rows = parseCsv(await res.text());
    const keys = [...new Set(Array.from({ length: N }, (_, k) => Object.keys(attributesOf(k))).flat())].sort((x, y) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    const base = ['ts', 'lat', 'lon', 'speed_kmh', 'heading', 'altitude', 'accuracy', 'battery'];
    expect(rows[0]).toEqual([...base, ...keys.map((k) => `attributes.${k}`)]);
    expect(rows).toHaveLength(N + 1);
    rows.slice(1).forEach((row, k) => {
      expect(row).toHaveLength(base.length + keys.length);
      expect(row[0]).toBe(iso(tsOf(k)));
      const attrs = attributesOf(k);
      expect(row.slice(base.length)).toEqual(keys.map((key) => expectedCell(attrs[key])));
    });
    // Spot checks of the rule, independent of the helper above.
    expect(rows[1]![base.length + keys.indexOf(AWKWARD_KEY)]).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(rows[1]![base.length + keys.indexOf('ignition')]).toBe('false');
    expect(rows[1]![base.length + keys.indexOf('hdop')]).toBe('0.9');
    expect(rows[1]![base.length + keys.indexOf('conn')]).toBe('w');
    expect(rows[1]![base.length + keys.indexOf('temp')]).toBe('-3.5');

    // Simplified: the same columns (every key of the period), the kept fixes' values.
    const simplified = parseCsv(
      await (await get(`/vehicles/${v['car']}/history?${period}&format=csv&maxPoints=100`)).text(),
    );
    expect(simplified[0]).toEqual(rows[0]);
    expect(simplified.length).toBeGreaterThan(3);
    for (const row of simplified.slice(1)) {
      const attrs = attributesOf(kOf(row[0]!));
      expect(row.slice(base.length)).toEqual(keys.map((key) => expectedCell(attrs[key])));
    }
    // No attributes in the period: the plain columns only.
    const plain = (await (await get(`/vehicles/${v['plain']}/history?${period}&format=csv`)).text()).split('\n');
    expect(plain[0]).toBe(base.join(','));
  });

  it('GPX history: attributes as fleet:attr extensions (namespaced, typed, escaped) of every trkpt', async () => {
    const xml = await (await get(`/vehicles/${v['car']}/history?${period}&format=gpx`)).text();
    expect(xml).toContain(`xmlns:fleet="${FLEET_NS}"`);
    const points = gpxAttributes(xml);
    expect(points).toHaveLength(N);
    points.forEach((p, k) => {
      expect(p.ts).toBe(iso(tsOf(k)));
      expect(p.attributes).toEqual(attributesOf(k));
    });
    const kept = gpxAttributes(
      await (await get(`/vehicles/${v['car']}/history?${period}&format=gpx&maxPoints=100`)).text(),
    );
    expect(kept.length).toBeGreaterThan(2);
    for (const p of kept) expect(p.attributes).toEqual(attributesOf(kOf(p.ts)));
  });

  it('latest and nearest: the attributes of the latest fix', async () => {
    const fc = LatestPositions.parse(await (await get('/positions/latest?offlineAfterMinutes=10080')).json());
    const byId = new Map(fc.features.map((f) => [f.properties.vehicleId, f.properties]));
    expect(byId.get(v['car']!)?.attributes).toEqual(attributesOf(N - 1));
    expect(byId.get(v['plain']!)?.attributes).toEqual({});
    const near = NearestList.parse(await (await get(`/positions/nearest?lat=${B.lat}&lon=${B.lon}&limit=2`)).json());
    expect(near.items.map((i) => i.vehicleId)).toEqual([v['car'], v['plain']]);
    expect(near.items[0]!.attributes).toEqual(attributesOf(N - 1));
    expect(near.items[1]!.attributes).toEqual({});
  });

  it('trips and stops: the attributes of the fixes each starts and ends at', async () => {
    const day = `from=${iso(T0 - 10 * MIN)}&to=${iso(T0 + N * 1_000)}`;
    const trips = TripList.parse(await (await get(`/vehicles/${v['car']}/trips?${day}`)).json()).items;
    expect(trips).toHaveLength(1);
    for (const trip of trips) {
      expect(trip.startAttributes).toEqual(attributesOf(kOf(trip.startTime)));
      expect(trip.endAttributes).toEqual(attributesOf(kOf(trip.endTime)));
    }
    const stops = StopList.parse(await (await get(`/vehicles/${v['car']}/stops?${day}`)).json()).items;
    expect(stops).toHaveLength(2);
    for (const stop of stops) {
      expect(stop.startAttributes).toEqual(attributesOf(kOf(stop.startTime)));
      expect(stop.endAttributes).toEqual(attributesOf(kOf(stop.endTime)));
    }
    expect(stops[0]!.startAttributes).toMatchObject({ ignition: false, rpm: 0, bs: 2, conn: 'w', seq: 0 });
  });
});
