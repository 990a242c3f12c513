import { hashPassword } from '@fleet/auth';
import { ErrorBody, GpxImportResult, IngestAccepted, TokenResponse } from '@fleet/contracts';
import { type TestDatabase } from '@fleet/db/testing';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { type StartedApi } from './testing/harness';
import { startIngestStack, type IngestStack } from './testing/ingest-stack';
import { countPositions, type TestVehicle, type WorkerProcess } from './testing/fixtures';

let testDb: TestDatabase;
let t: StartedApi;
let worker: WorkerProcess;
let fleet: TestVehicle[];
let db: pg.Pool;

let stack: IngestStack | undefined;
beforeAll(async () => {
  stack = await startIngestStack('ingest', { count: 6, slug: 'ingest' });
  ({ testDb, db, fleet, t, worker } = stack);
}, 60_000);
afterAll(() => stack?.stop());

// One base for the whole file (read at each call, two calls could name the same second).
const BASE_MS = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const iso = (offsetS: number) => new Date(BASE_MS + offsetS * 1000).toISOString();
const stored = (vehicle: TestVehicle) => countPositions(testDb.url, [vehicle.id]);
const eventually = (check: () => Promise<boolean>, what: string) => waitFor(check, { timeoutMs: 15_000, what });

function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('POST /api/v1/positions', () => {
  jest.setTimeout(30_000);

  it('accepts a batch with 202 and stores every position, with the latest as vehicle state', async () => {
    const v = fleet[0];
    const positions = Array.from({ length: 50 }, (_, i) => ({
      ts: iso(i),
      lat: 40 + i / 1000,
      lon: -3.7,
      speed: 30 + i,
      heading: 90,
    }));
    const res = await postJson('/api/v1/positions', { positions }, { authorization: `Bearer ${v.token}` });
    expect(res.status).toBe(202);
    expect(IngestAccepted.parse(await res.json()).accepted).toBe(50);
    await eventually(async () => (await stored(v)) === 50, '50 positions stored');
    const state = await db.query('SELECT ts, ST_Y(point) AS lat, speed_kmh FROM vehicle_state WHERE vehicle_id = $1', [
      v.id,
    ]);
    expect(state.rows[0].ts.toISOString()).toBe(positions[49].ts);
    expect(state.rows[0].speed_kmh).toBe(79);
  });

  it('stores a batch sent twice only once, and never moves the state back to an older fix', async () => {
    const v = fleet[1];
    const batch = Array.from({ length: 20 }, (_, i) => ({ ts: iso(100 + i), lat: 41, lon: 2 + i / 1000 }));
    for (let i = 0; i < 2; i++)
      expect((await postJson('/api/v1/positions', batch, { authorization: `Bearer ${v.token}` })).status).toBe(202);
    await eventually(async () => (await stored(v)) === 20, '20 positions');
    const old = await postJson(
      '/api/v1/positions',
      { ts: iso(0), lat: 10, lon: 10 },
      { authorization: `Bearer ${v.token}` },
    );
    expect(old.status).toBe(202);
    await eventually(async () => (await stored(v)) === 21, 'the older fix stored');
    const state = await db.query('SELECT ts FROM vehicle_state WHERE vehicle_id = $1', [v.id]);
    expect(state.rows[0].ts.toISOString()).toBe(batch[19].ts);
  });

  it('refuses a batch with bad items, naming each index and field, and stores nothing', async () => {
    const v = fleet[2];
    const res = await postJson(
      '/api/v1/positions',
      {
        positions: [
          { ts: iso(1), lat: 40, lon: -3 },
          { ts: iso(2), lat: 95, lon: -3 },
          { ts: 'soon', lat: 40, lon: 200 },
          { ts: iso(3), lat: 0, lon: 0 },
        ],
      },
      { authorization: `Bearer ${v.token}` },
    );
    expect(res.status).toBe(400);
    const body = ErrorBody.parse(await res.json());
    const paths = body.error.details?.map((d) => d.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['positions.1.lat', 'positions.2.lon']));
    const future = await postJson(
      '/api/v1/positions',
      [{ ts: new Date(Date.now() + 86_400_000).toISOString(), lat: 1, lon: 1 }],
      { authorization: `Bearer ${v.token}` },
    );
    expect(ErrorBody.parse(await future.json()).error.details?.[0]?.path).toBe('0.ts');
    const zero = await postJson(
      '/api/v1/positions',
      { ts: iso(3), lat: 0, lon: 0 },
      { authorization: `Bearer ${v.token}` },
    );
    expect(ErrorBody.parse(await zero.json()).error.details?.[0]?.path).toBe('lat');
    const typo = await postJson(
      '/api/v1/positions',
      { ts: iso(3), latitude: 1, lon: 1 },
      { authorization: `Bearer ${v.token}` },
    );
    expect(typo.status).toBe(400);
    expect(await stored(v)).toBe(0);
    const staged = await db.query('SELECT count(*) AS n FROM ingest_staging');
    expect(Number(staged.rows[0].n)).toBeGreaterThan(0); // only the accepted batches of other tests
  });

  it('refuses a missing or unknown device token with 401', async () => {
    expect((await postJson('/api/v1/positions', { ts: iso(1), lat: 1, lon: 1 })).status).toBe(401);
    expect(
      (await postJson('/api/v1/positions', { ts: iso(1), lat: 1, lon: 1 }, { authorization: 'Bearer nope' })).status,
    ).toBe(401);
    const other = await postJson(
      '/api/v1/positions',
      { deviceId: fleet[3].identifier, ts: iso(1), lat: 1, lon: 1 },
      { authorization: `Bearer ${fleet[2].token}` },
    );
    expect(other.status).toBe(403);
  });
});

describe('OsmAnd / Traccar Client', () => {
  jest.setTimeout(30_000);

  it('accepts the query form on the dedicated port with 200 and an empty body, speed converted from knots', async () => {
    const v = fleet[3];
    const osmand = `http://127.0.0.1:${t.api.osmandPort}`;
    const ts = Math.floor(Date.now() / 1000) - 60;
    const res = await fetch(
      `${osmand}/?id=${v.identifier}&timestamp=${ts}&lat=40.5&lon=-3.6&speed=10&bearing=45&batt=80&hdop=1.2`,
      { method: 'POST' },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const form = await fetch(`${t.base}/api/v1/osmand`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `deviceid=${v.identifier}&timestamp=${encodeURIComponent(new Date((ts + 1) * 1000).toISOString().replace('T', ' ').slice(0, 19))}&location=40.6,-3.5`,
    });
    expect(form.status).toBe(200);
    await eventually(async () => (await stored(v)) === 2, 'two OsmAnd fixes');
    const rows = await db.query(
      'SELECT speed_kmh, battery, attributes, protocol FROM positions WHERE vehicle_id = $1 ORDER BY ts',
      [v.id],
    );
    expect(rows.rows[0].speed_kmh).toBeCloseTo(18.52, 2);
    expect(rows.rows[0]).toMatchObject({ battery: 80, protocol: 'osmand', attributes: { hdop: 1.2 } });
  });

  it('answers an unknown device 400 on the query form and 404 on the JSON form', async () => {
    const osmand = `http://127.0.0.1:${t.api.osmandPort}`;
    expect((await fetch(`${osmand}/?id=nobody&lat=1&lon=1`)).status).toBe(400);
    const json = await postJson('/api/v1/osmand', {
      device_id: 'nobody',
      location: { timestamp: iso(1), coords: { latitude: 1, longitude: 1 } },
    });
    expect(json.status).toBe(404);
  });

  it('answers other methods 405 on /api/v1/osmand as on its own port, and a path below it 404', async () => {
    const put = await fetch(`${t.base}/api/v1/osmand?id=nobody`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(ErrorBody.parse(await put.json()).error.code).toBe('method_not_allowed');
    const onPort = await fetch(`http://127.0.0.1:${t.api.osmandPort}/?id=nobody`, { method: 'PUT' });
    expect(onPort.status).toBe(405);
    expect((await fetch(`${t.base}/api/v1/osmand/more?id=nobody`)).status).toBe(404);
  });

  it('accepts the Traccar Client 9 JSON body', async () => {
    const v = fleet[4];
    const res = await fetch(`http://127.0.0.1:${t.api.osmandPort}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: v.identifier,
        location: {
          timestamp: iso(5),
          coords: { latitude: 40.1, longitude: -3.1, speed: 10, heading: 10, accuracy: 4 },
          battery: { level: 0.5, is_charging: true },
          is_moving: true,
        },
      }),
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await stored(v)) === 1, 'Traccar JSON fix');
    const row = await db.query('SELECT speed_kmh, battery, attributes FROM positions WHERE vehicle_id = $1', [v.id]);
    expect(row.rows[0]).toMatchObject({ speed_kmh: 36, battery: 50, attributes: { charge: true, motion: true } });
  });
});

describe('OwnTracks and Overland', () => {
  jest.setTimeout(30_000);
  const basic = (v: TestVehicle) => `Basic ${Buffer.from(`${v.identifier}:${v.token}`).toString('base64')}`;

  it('stores an OwnTracks location and answers the friends of the same organization', async () => {
    const v = fleet[5];
    const res = await postJson(
      '/api/v1/owntracks',
      { _type: 'location', lat: 52.5, lon: 13.4, tst: Math.floor(Date.now() / 1000) - 30, vel: 40, tid: 'V5', acc: 9 },
      { authorization: basic(v), 'x-limit-u': 'jane', 'x-limit-d': 'phone' },
    );
    expect(res.status).toBe(200);
    const friends = (await res.json()) as Array<{ _type: string }>;
    expect(Array.isArray(friends)).toBe(true);
    expect(friends.some((f) => f._type === 'location')).toBe(true);
    await eventually(async () => (await stored(v)) === 1, 'OwnTracks fix');
    const row = await db.query('SELECT speed_kmh, attributes FROM positions WHERE vehicle_id = $1', [v.id]);
    expect(row.rows[0]).toMatchObject({ speed_kmh: 40, attributes: { tid: 'V5', user: 'jane', device: 'phone' } });
  });

  it('answers non-location OwnTracks messages 200 without storing them, and asks for credentials', async () => {
    const v = fleet[5];
    for (const _type of ['transition', 'waypoint', 'lwt', 'card', 'status']) {
      const res = await postJson('/api/v1/owntracks', { _type, tst: 1 }, { authorization: basic(v) });
      expect(res.status).toBe(200);
    }
    expect(await stored(v)).toBe(1);
    const anonymous = await postJson('/api/v1/owntracks', { _type: 'location', lat: 1, lon: 1, tst: 1 });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('accepts an Overland batch with {"result":"ok"}, skipping points that are not valid', async () => {
    const v = fleet[0];
    const before = await stored(v);
    const feature = (ts: string, lon: number, lat: number) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lon, lat] },
      properties: { timestamp: ts, speed: 2, device_id: 'iphone' },
    });
    const res = await postJson(
      '/api/v1/overland',
      { locations: [feature(iso(500), -3.7, 40.4), feature(iso(501), -3.7, 99), feature(iso(502), -3.71, 40.41)] },
      { authorization: `Bearer ${v.token}` },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'ok' });
    await eventually(async () => (await stored(v)) === before + 2, 'two Overland fixes');
  });
});

describe('GPX import', () => {
  jest.setTimeout(60_000);

  it('streams a GPX 1.1 track in, reporting imported and skipped points', async () => {
    const v = fleet[2];
    const points = Array.from({ length: 2500 }, (_, i) => {
      const time = i === 7 ? '' : `<time>${new Date(Date.UTC(2025, 5, 1, 8, 0, i)).toISOString()}</time>`;
      return `<trkpt lat="${(40 + i / 10000).toFixed(6)}" lon="-3.700000"><ele>${600 + (i % 10)}</ele>${time}<extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>5</gpxtpx:speed></gpxtpx:TrackPointExtension></extensions></trkpt>`;
    });
    const gpx = `<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"><trk><name>Morning</name><trkseg>${points.join('')}</trkseg></trk></gpx>`;
    const res = await fetch(`${t.base}/api/v1/vehicles/${v.id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/gpx+xml' },
      body: gpx,
    });
    expect(res.status).toBe(202);
    const result = GpxImportResult.parse(await res.json());
    expect(result).toMatchObject({ imported: 2499, skipped: 1, batches: 3, skippedReasons: { no_time: 1 } });
    await eventually(async () => (await stored(v)) === 2499, 'GPX points stored');
    const speed = await db.query('SELECT max(speed_kmh) AS s FROM positions WHERE vehicle_id = $1', [v.id]);
    expect(speed.rows[0].s).toBe(18);
  });

  it('lets an operator of the organization upload for any of its vehicles, and nobody else', async () => {
    const v = fleet[4];
    await db.query(
      "INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, 'ops@ingest.example', 'operator', $3), ($1, 'viewer@ingest.example', 'viewer', $3), ($2, 'ops@other.example', 'operator', $3)",
      [
        v.organizationId,
        (await db.query("INSERT INTO organizations (name, slug) VALUES ('other', 'other-ingest') RETURNING id")).rows[0]
          .id,
        await hashPassword('gpx-upload-pass'),
      ],
    );
    const tokenOf = async (email: string) =>
      TokenResponse.parse(await (await postJson('/api/v1/auth/login', { email, password: 'gpx-upload-pass' })).json())
        .accessToken;
    const gpx = `<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="40.5" lon="-3.5"><time>2025-06-02T08:00:00Z</time></trkpt></trkseg></trk></gpx>`;
    const upload = (token: string) =>
      fetch(`${t.base}/api/v1/vehicles/${v.id}/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gpx+xml' },
        body: gpx,
      });
    expect((await upload(await tokenOf('ops@ingest.example'))).status).toBe(202);
    expect((await upload(await tokenOf('viewer@ingest.example'))).status).toBe(403);
    expect((await upload(await tokenOf('ops@other.example'))).status).toBe(404);
  });

  it('refuses a document that is not GPX, and another vehicle', async () => {
    const v = fleet[2];
    const bad = await fetch(`${t.base}/api/v1/vehicles/${v.id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/gpx+xml' },
      body: '<html><body>',
    });
    expect(bad.status).toBe(400);
    const other = await fetch(`${t.base}/api/v1/vehicles/${fleet[3].id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}` },
      body: '<gpx/>',
    });
    expect(other.status).toBe(404);
  });
});

describe('ingestion metrics', () => {
  it('counts received, accepted and rejected positions by protocol on the API, stored and duplicates on the worker', async () => {
    const api = await (await fetch(`${t.base}/metrics`)).text();
    expect(api).toMatch(/positions_received_total\{[^}]*protocol="json"[^}]*\} \d+/);
    expect(api).toMatch(/positions_accepted_total\{[^}]*protocol="osmand"[^}]*\} 2/);
    expect(api).toMatch(/positions_rejected_total\{[^}]*protocol="json"[^}]*reason="invalid"[^}]*\} \d+/);
    expect(api).toMatch(/positions_rejected_total\{[^}]*protocol="osmand"[^}]*reason="unknown_device"[^}]*\} 1/);
    const w = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(w).toMatch(/positions_stored_total\{[^}]*\} [1-9]\d*/);
    expect(w).toMatch(/positions_duplicates_total\{[^}]*\} 20/);
    for (const name of [
      'ingest_stream_length',
      'ingest_stream_pending',
      'ingest_oldest_pending_age_seconds',
      'ingest_consumer_lag',
      'ingest_staging_backlog',
      'ingest_batch_size_bucket',
      'ingest_batch_duration_seconds_bucket',
      'ingest_dead_letter_stream_length',
    ]) {
      expect(w).toContain(name);
    }
  });
});
