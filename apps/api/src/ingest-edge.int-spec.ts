import { ErrorBody, GpxImportResult, PositionsAccepted } from '@fleet/contracts';
import { type TestDatabase } from '@fleet/db/testing';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { type StartedApi } from './testing/harness';
import { startIngestStack, type IngestStack } from './testing/ingest-stack';
import { countPositions, type TestVehicle } from './testing/fixtures';

// The ingestion edge against what storage holds: values PostgreSQL refuses are refused (our JSON API)
// or dropped and counted (phone and batch protocols), never answered 2xx and then lost in the worker.
let testDb: TestDatabase;
let t: StartedApi;
let fleet: TestVehicle[];
let db: pg.Pool;
let next = 0;
/** A vehicle of its own for each test, so counts are exact. */
const vehicle = () => fleet[next++];

let stack: IngestStack | undefined;
beforeAll(async () => {
  stack = await startIngestStack('ingest-edge', { count: 30, slug: 'edge' });
  ({ testDb, db, fleet, t } = stack);
}, 60_000);
afterAll(() => stack?.stop());

jest.setTimeout(30_000);

// One base for the whole file: read at each call, Date.now() may pass a second boundary between two
// calls, and epoch(7) then names the same second as epoch(6) did before it (a fix deduplicated away).
const BASE_S = Math.floor(Date.now() / 1000) - 3600;
const iso = (offsetS: number) => new Date((BASE_S + offsetS) * 1000).toISOString();
const epoch = (offsetS: number) => BASE_S + offsetS;
const stored = (v: TestVehicle) => countPositions(testDb.url, [v.id]);
/** On a timeout, says where the fixes are: staging rows of the last minutes and the API's publish failures. */
async function whereAreThey(): Promise<string> {
  const rows = await db.query(
    `SELECT id, protocol, position_count, published_at IS NOT NULL AS published, processed_at IS NOT NULL AS processed,
            dead_letter_reason
       FROM ingest_staging WHERE received_at > now() - interval '2 minutes' ORDER BY id DESC LIMIT 10`,
  );
  const metrics = await (await fetch(`${t.base}/metrics`)).text();
  const failures = metrics.split('\n').filter((l) => l.startsWith('ingest_publish_failures_total'));
  return `staging (newest first): ${JSON.stringify(rows.rows)}; ${failures.join(' ') || 'no publish failure counted'}`;
}
const eventually = (check: () => Promise<boolean>, what: string) =>
  waitFor(check, { timeoutMs: 15_000, what }).catch(async (err: Error) => {
    throw new Error(`${err.message}; ${await whereAreThey().catch((e: Error) => `(no state: ${e.message})`)}`);
  });
const osmandPort = () => `http://127.0.0.1:${t.api.osmandPort}`;
const bearer = (v: TestVehicle) => ({ authorization: `Bearer ${v.token}` });
const basic = (v: TestVehicle) => ({
  authorization: `Basic ${Buffer.from(`${v.identifier}:${v.token}`).toString('base64')}`,
});

/** Staged batches that failed in the worker and went to the dead letters (the old loss). */
const deadLetters = async () =>
  Number((await db.query('SELECT count(*) AS n FROM ingest_staging WHERE dead_letter_reason IS NOT NULL')).rows[0].n);

function post(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url.startsWith('http') ? url : `${t.base}${url}`, { method: 'POST', headers, body });
}
const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  post(url, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });

/** JSON text nested `depth` levels (built as text: JSON.stringify of such a value throws). */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

async function detailPaths(res: Response): Promise<string[]> {
  return ErrorBody.parse(await res.json()).error.details?.map((d) => d.path) ?? [];
}

async function droppedMetric(protocol: string, field: string, reason: string): Promise<number> {
  const text = await (await fetch(`${t.base}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('positions_fields_dropped_total{') &&
        l.includes(`protocol="${protocol}"`) &&
        l.includes(`field="${field}"`) &&
        l.includes(`reason="${reason}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('Fleet JSON refuses what storage cannot hold, naming the field', () => {
  it('refuses speed 1e-50 in a batch of 1,000 with 400 naming it, instead of 202 and nothing stored', async () => {
    const v = vehicle();
    const positions = Array.from({ length: 1000 }, (_, i) => ({
      ts: iso(i),
      lat: 40 + i / 10000,
      lon: -3.7,
      speed: 30,
    }));
    positions[617] = { ...positions[617], speed: 1e-50 };
    const res = await postJson('/api/v1/positions', { positions }, bearer(v));
    expect(res.status).toBe(400);
    expect(await detailPaths(res)).toEqual(['positions.617.speed']);
    positions[617] = { ...positions[617], speed: 0 };
    const ok = await postJson('/api/v1/positions', { positions }, bearer(v));
    expect(ok.status).toBe(202);
    await eventually(async () => (await stored(v)) === 1000, '1,000 positions stored');
    expect(await deadLetters()).toBe(0);
  });

  it('refuses NUL and lone surrogates in attribute keys and values, and 6,000 levels of nesting, with 400', async () => {
    const v = vehicle();
    const cases: Array<[string, string]> = [
      [`{"ts":"${iso(1)}","lat":1,"lon":1,"attributes":{"note":"a\\u0000b"}}`, 'attributes.note'],
      [`{"ts":"${iso(1)}","lat":1,"lon":1,"attributes":{"k\\u0000":1}}`, 'attributes.k\\u0000'],
      [`{"ts":"${iso(1)}","lat":1,"lon":1,"attributes":{"driver":{"name":"\\ud800"}}}`, 'attributes.driver.name'],
      [`{"ts":"${iso(1)}","lat":1,"lon":1,"attributes":{"deep":${deepJson(6000)}}}`, 'attributes.deep'],
    ];
    for (const [body, path] of cases) {
      const res = await postJson('/api/v1/positions', body, bearer(v));
      expect(res.status).toBe(400);
      const paths = await detailPaths(res);
      expect(paths[0]?.startsWith(path)).toBe(true);
    }
    expect(await stored(v)).toBe(0);
  });

  it('answers how many fixes share a timestamp, so accepted is the number of rows', async () => {
    const v = vehicle();
    const positions = [
      { ts: iso(1), lat: 40, lon: -3, accuracy: 20 },
      { ts: iso(1), lat: 40.001, lon: -3, accuracy: 5 },
      { ts: iso(2), lat: 40.002, lon: -3 },
    ];
    const res = await postJson('/api/v1/positions', positions, bearer(v));
    expect(res.status).toBe(202);
    expect(PositionsAccepted.parse(await res.json())).toMatchObject({ accepted: 2, duplicates: 1 });
    await eventually(async () => (await stored(v)) === 2, 'two rows');
  });
});

describe('OsmAnd and Traccar Client JSON: identifiers refused, unstorable measurements dropped and counted', () => {
  it('answers 400 naming id / deviceid / device_id when they hold a NUL or a lone surrogate (was a 500)', async () => {
    const byId = await post(`${osmandPort()}/?id=dev%00ice&lat=1&lon=1`, '');
    expect(byId.status).toBe(400);
    expect(await detailPaths(byId)).toEqual(['id']);
    const byDeviceId = await fetch(`${t.base}/api/v1/osmand?deviceid=%00&lat=1&lon=1`);
    expect(byDeviceId.status).toBe(400);
    expect(await detailPaths(byDeviceId)).toEqual(['deviceid']);
    for (const id of ['dev\\u0000', '\\ud800x']) {
      const json = await postJson(
        `${osmandPort()}/`,
        `{"device_id":"${id}","location":{"timestamp":"${iso(1)}","coords":{"latitude":1,"longitude":1}}}`,
      );
      expect(json.status).toBe(400);
      expect(await detailPaths(json)).toEqual(['device_id']);
    }
  });

  it('stores altitude=1e300 and accuracy=1e39 fixes without those fields, counting each drop', async () => {
    const v = vehicle();
    const before = await droppedMetric('osmand', 'altitude', 'out_of_range');
    const res = await post(
      `${osmandPort()}/?id=${v.identifier}&timestamp=${epoch(1)}&lat=40&lon=-3&altitude=1e300`,
      '',
    );
    expect(res.status).toBe(200);
    const res2 = await post(
      `${osmandPort()}/?id=${v.identifier}&timestamp=${epoch(2)}&lat=40&lon=-3&accuracy=1e39&speed=1e-50&altitude=650`,
      '',
    );
    expect(res2.status).toBe(200);
    await eventually(async () => (await stored(v)) === 2, 'both fixes stored');
    const rows = await db.query(
      'SELECT altitude, accuracy, speed_kmh FROM positions WHERE vehicle_id = $1 ORDER BY ts',
      [v.id],
    );
    expect(rows.rows).toEqual([
      { altitude: null, accuracy: null, speed_kmh: null },
      { altitude: 650, accuracy: null, speed_kmh: null },
    ]);
    expect(await droppedMetric('osmand', 'altitude', 'out_of_range')).toBe(before + 1);
    expect(await droppedMetric('osmand', 'speed', 'not_storable')).toBeGreaterThanOrEqual(1);
    expect(await deadLetters()).toBe(0);
  });

  it('keeps Traccar Client `mock`, flattens `extras` into attributes, and drops an extra nested 6,000 levels (was a 500)', async () => {
    const v = vehicle();
    const location = (ts: string, extras: string) =>
      `{"timestamp":"${ts}","mock":true,"coords":{"latitude":40,"longitude":-3,"altitude":1e300},"extras":${extras}}`;
    const res = await postJson(
      `${osmandPort()}/`,
      `{"device_id":"${v.identifier}","location":[${location(iso(1), '{"trip":7,"driver":{"id":"d1"}}')},${location(
        iso(2),
        `{"trip":8,"deep":${deepJson(6000)},"bad\\u0000":1}`,
      )}]}`,
    );
    expect(res.status).toBe(200);
    await eventually(async () => (await stored(v)) === 2, 'both Traccar fixes');
    const rows = await db.query('SELECT altitude, attributes FROM positions WHERE vehicle_id = $1 ORDER BY ts', [v.id]);
    expect(rows.rows).toEqual([
      { altitude: null, attributes: { mock: true, trip: 7, driver: { id: 'd1' } } },
      { altitude: null, attributes: { mock: true, trip: 8 } },
    ]);
    expect(await droppedMetric('traccar_json', 'attributes', 'too_deep')).toBe(1);
    expect(await droppedMetric('traccar_json', 'attributes', 'bad_text')).toBe(1);
  });

  it('answers on any path of the OsmAnd port, as Traccar does', async () => {
    const v = vehicle();
    for (const path of ['/osmand', '/traccar/api/positions/', '/a/b/c'])
      expect(
        (await post(`${osmandPort()}${path}?id=${v.identifier}&timestamp=${epoch(path.length)}&lat=40&lon=-3`, ''))
          .status,
      ).toBe(200);
    await eventually(async () => (await stored(v)) === 3, 'three fixes through three paths');
  });

  it('answers a body over the limit of the OsmAnd port with 413 instead of a connection reset', async () => {
    const v = vehicle();
    for (const size of [100_000, 2_000_000]) {
      const res = await post(`${osmandPort()}/`, `id=${v.identifier}&note=${'x'.repeat(size)}`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.status).toBe(413);
      expect(ErrorBody.parse(await res.json()).error.code).toBe('payload_too_large');
    }
    expect((await fetch(`${osmandPort()}/?id=${v.identifier}&lat=40&lon=-3`)).status).toBe(200);
  });
});

describe('OwnTracks and Overland', () => {
  it('stores an OwnTracks JSON body whatever its Content-Type (was 200 and nothing stored)', async () => {
    const v = vehicle();
    const contentTypes = ['text/plain', 'application/x-www-form-urlencoded', undefined, 'application/octet-stream'];
    for (const [i, type] of contentTypes.entries()) {
      const res = await post(
        '/api/v1/owntracks',
        JSON.stringify({ _type: 'location', lat: 52.5, lon: 13.4, tst: epoch(i), tid: 'V1' }),
        { ...basic(v), ...(type && { 'content-type': type }) },
      );
      expect(res.status).toBe(200);
    }
    await eventually(async () => (await stored(v)) === contentTypes.length, 'every OwnTracks message');
    const notJson = await post('/api/v1/owntracks', 'lat=1&lon=2', { ...basic(v), 'content-type': 'text/plain' });
    expect(notJson.status).toBe(400);
  });

  it('refuses an OwnTracks tid with a NUL with 400, and drops alt=1e300 and nested garbage', async () => {
    const v = vehicle();
    const bad = await postJson(
      '/api/v1/owntracks',
      `{"_type":"location","lat":1,"lon":1,"tst":${epoch(1)},"tid":"\\u0000"}`,
      basic(v),
    );
    expect(bad.status).toBe(400);
    expect(await detailPaths(bad)).toEqual(['tid']);
    const res = await postJson(
      '/api/v1/owntracks',
      `{"_type":"location","lat":1,"lon":1,"tst":${epoch(2)},"alt":1e300,"vel":1e39,"tid":"V2","inregions":${`[`.repeat(6000)}${`]`.repeat(6000)},"note":"x\\ud800"}`,
      basic(v),
    );
    expect(res.status).toBe(200);
    await eventually(async () => (await stored(v)) === 1, 'OwnTracks fix');
    const row = await db.query('SELECT altitude, speed_kmh, attributes FROM positions WHERE vehicle_id = $1', [v.id]);
    expect(row.rows[0]).toEqual({ altitude: null, speed_kmh: null, attributes: { tid: 'V2' } });
  });

  it('stores all 50 points of an Overland batch with one altitude=1e300 (was 200 and 0 stored)', async () => {
    const v = vehicle();
    const feature = (i: number, altitude: number) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [-3.7 + i / 1000, 40.4] },
      properties: { timestamp: iso(i), altitude, horizontal_accuracy: 5, speed: 3, device_id: 'iphone' },
    });
    const locations = Array.from({ length: 50 }, (_, i) => feature(i, i === 20 ? 1e300 : 600));
    const res = await postJson('/api/v1/overland', { locations }, bearer(v));
    expect(res.status).toBe(200);
    await eventually(async () => (await stored(v)) === 50, '50 Overland points');
    const nulls = await db.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1 AND altitude IS NULL', [
      v.id,
    ]);
    expect(Number(nulls.rows[0].n)).toBe(1);
    const badId = await postJson(
      '/api/v1/overland',
      `{"locations":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"timestamp":"${iso(99)}","device_id":"a\\u0000"}}]}`,
      bearer(v),
    );
    expect(badId.status).toBe(400);
    expect(await detailPaths(badId)).toEqual(['locations.0.properties.device_id']);
    expect(await deadLetters()).toBe(0);
  });
});

describe('GPX import', () => {
  const gpx = (points: string[], lead = '') =>
    `${lead}<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>${points.join('')}</trkseg></trk></gpx>`;
  const point = (i: number, ele = '600', second = i) =>
    `<trkpt lat="${40 + i / 1000}" lon="-3.7"><ele>${ele}</ele><time>${new Date(Date.UTC(2025, 5, 1, 8, 0, second)).toISOString()}</time></trkpt>`;
  const upload = (v: TestVehicle, body: string | Buffer) =>
    fetch(`${t.base}/api/v1/vehicles/${v.id}/import`, {
      method: 'POST',
      headers: { ...bearer(v), 'content-type': 'application/gpx+xml' },
      body,
    });

  it('imports all 43 points of a file with one <ele>1e39</ele>, reporting the dropped field (was 43 answered, 0 stored)', async () => {
    const v = vehicle();
    const res = await upload(v, gpx(Array.from({ length: 43 }, (_, i) => point(i, i === 9 ? '1e39' : '600'))));
    expect(res.status).toBe(202);
    expect(GpxImportResult.parse(await res.json())).toMatchObject({ imported: 43, droppedFields: { altitude: 1 } });
    await eventually(async () => (await stored(v)) === 43, '43 GPX points');
    expect(await deadLetters()).toBe(0);
  });

  it('answers imported 9 and duplicates 1 for ten points of which two share a timestamp', async () => {
    const v = vehicle();
    const points = Array.from({ length: 10 }, (_, i) => point(i, '600', i === 5 ? 4 : i));
    const result = GpxImportResult.parse(await (await upload(v, gpx(points))).json());
    expect(result).toMatchObject({ imported: 9, duplicates: 1 });
    await eventually(async () => (await stored(v)) === 9, '9 rows');
  });

  it('tells a point whose <time> is not understood from a point without one', async () => {
    const v = vehicle();
    const points = [point(1), '<trkpt lat="40" lon="-3"><time>yesterday</time></trkpt>', '<trkpt lat="40" lon="-3"/>'];
    const result = GpxImportResult.parse(await (await upload(v, gpx(points))).json());
    expect(result).toMatchObject({ imported: 1, skipped: 2, skippedReasons: { invalid_time: 1, no_time: 1 } });
  });

  it('accepts a file with a UTF-8 byte-order mark or blank lines before <?xml', async () => {
    const v = vehicle();
    const bom = await upload(v, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(gpx([point(1)]))]));
    expect(bom.status).toBe(202);
    const blank = await upload(v, gpx([point(2)], '\r\n\n   '));
    expect(blank.status).toBe(202);
    await eventually(async () => (await stored(v)) === 2, 'both files');
  });
});
