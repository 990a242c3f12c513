import { ErrorBody, MEASUREMENT_LIMITS, storableAsReal, textProblem, type Measurement } from '@fleet/contracts';
import { waitFor } from '@fleet/runtime/testing';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { type StartedApi } from './testing/harness';
import { startIngestStack, type IngestStack } from './testing/ingest-stack';
import { type TestVehicle } from './testing/fixtures';

/**
 * The promise behind every ingestion answer, as a property: requests generated for every protocol
 * from what the protocol accepts, mixed with the values storage refuses (1e-50, ±1e300, 1e39, -0,
 * Infinity, NaN-like text, NUL and lone surrogates in keys and values, JSON nested 6,000 levels,
 * strings past the limits, odd and impossible timestamps, bad identifiers), sent to the real API with
 * a real worker. Whatever was answered 2xx is in `positions` within seconds, with each measurement as
 * sent (in stored units) or null when storage cannot hold it, and each attribute entry as sent or left
 * out when storage cannot hold it; a 4xx names the field; nothing else is stored; no dead letters.
 */

let t: StartedApi;
let fleet: TestVehicle[];
let db: pg.Pool;

let stack: IngestStack | undefined;
beforeAll(async () => {
  stack = await startIngestStack('ingest-stored', { count: 4, slug: 'stored' });
  ({ db, fleet, t } = stack);
}, 60_000);
afterAll(() => stack?.stop());

type Protocol = 'json' | 'osmand' | 'traccar' | 'owntracks' | 'overland' | 'gpx';

// Raw JSON that JSON.stringify cannot produce, spliced into the body text in place of these markers.
const INF = '__INFINITY__';
const DEEP = '__DEEP__';
const rawJson = (text: string) =>
  text.replaceAll(`"${INF}"`, '1e999').replaceAll(`"${DEEP}"`, `${'['.repeat(6000)}1${']'.repeat(6000)}`);

// ---- timestamps: every valid one is unique in the whole run (whole seconds: OwnTracks sends seconds)
let clock = 0;
const base = Math.floor(Date.now() / 1000) - 20 * 86_400;
type TimeFormat = 'epoch_s' | 'epoch_ms' | 'iso' | 'iso_offset' | 'sql';
type TimeSpec = { kind: 'valid'; format: TimeFormat } | { kind: 'bad'; value: string | number };
const timeSpec: fc.Arbitrary<TimeSpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('valid' as const),
      format: fc.constantFrom<TimeFormat>('epoch_s', 'epoch_ms', 'iso', 'iso_offset', 'sql'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('bad' as const),
      value: fc.constantFrom<string | number>(
        'yesterday',
        '1999-12-31T23:59:59Z',
        new Date(Date.now() + 86_400_000).toISOString(),
        Math.floor(Date.now() / 1000) + 86_400,
        '9999999999999999999',
        1e300,
        0,
        '2025-13-45T99:99:99Z',
      ),
    }),
  },
);
function renderTime(secs: number, format: TimeFormat): string | number {
  const iso = new Date(secs * 1000).toISOString();
  if (format === 'epoch_s') return secs;
  if (format === 'epoch_ms') return secs * 1000;
  if (format === 'iso') return iso;
  if (format === 'sql') return iso.replace('T', ' ').slice(0, 19);
  return new Date(secs * 1000 + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
}

// ---- places
type PlaceSpec = { lat: number; lon: number; valid: boolean };
const place: fc.Arbitrary<PlaceSpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({ lat: fc.integer({ min: -89_000, max: 89_000 }), lon: fc.integer({ min: 1, max: 179_000 }) })
      .map(({ lat, lon }) => ({ lat: lat / 1000, lon: lon / 1000, valid: true })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom({ lat: 1e-50, lon: -0.5, valid: true }, { lat: -0, lon: 1e-300, valid: true }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { lat: 91, lon: 1, valid: false },
      { lat: 1, lon: -181, valid: false },
      { lat: 1e300, lon: 1, valid: false },
    ),
  },
);

// ---- measurements, in the protocol's unit
type Sent = number | string | undefined;
const edgeNumbers = [1e-50, 1e300, -1e300, 1e39, -0, 5e-324, -1, 1e-30, 3.5e38];
const nanLike = ['NaN', 'Infinity', '-Infinity', '1e999', 'abc', ''];
const measure = (min: number, max: number): fc.Arbitrary<Sent> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: min * 10, max: max * 10 }).map((i) => i / 10) },
    { weight: 2, arbitrary: fc.constantFrom(...edgeNumbers) },
    { weight: 1, arbitrary: fc.constantFrom<Sent>(...nanLike, INF) },
    { weight: 3, arbitrary: fc.constant(undefined) },
  );

// ---- attributes: entries whose storability the generator knows
interface Entry {
  key: string;
  value: unknown;
  /** Storage can hold the entry as sent (key and value). */
  clean: boolean;
}
const cleanKey = fc.constantFrom('note', 'driver', 'rpm', 'ignition', 'fuel', 'tags', 'temp1', 'x');
const poisonKey = fc.constantFrom('k\u0000', 'a\ud800', '\udc00', 'k'.repeat(65));
const cleanValue = fc.jsonValue({ maxDepth: 2 });
const poisonValue = fc.constantFrom<unknown>(
  'a\u0000b',
  'x\ud800',
  DEEP,
  'y'.repeat(5000),
  Array.from({ length: 300 }, (_, i) => i),
);
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ key: cleanKey, value: cleanValue }).map((e) => ({ ...e, clean: true })) },
  { weight: 1, arbitrary: fc.record({ key: poisonKey, value: cleanValue }).map((e) => ({ ...e, clean: false })) },
  { weight: 1, arbitrary: fc.record({ key: cleanKey, value: poisonValue }).map((e) => ({ ...e, clean: false })) },
);
/** Distinct keys, so the expected attributes are unambiguous. */
const entries = fc.uniqueArray(entry, { maxLength: 4, selector: (e) => e.key });

interface FixSpec {
  time: TimeSpec;
  place: PlaceSpec;
  speed: Sent;
  heading: Sent;
  altitude: Sent;
  accuracy: Sent;
  battery: Sent;
  entries: Entry[];
  /** Reuse the previous fix's timestamp (same request): one row, either fix's content. */
  sameTimeAsPrevious: boolean;
}
const fixSpec: fc.Arbitrary<FixSpec> = fc.record({
  time: timeSpec,
  place,
  speed: measure(0, 150),
  heading: measure(0, 360),
  altitude: measure(-100, 5000),
  accuracy: measure(0, 100),
  battery: measure(0, 100),
  entries,
  sameTimeAsPrevious: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

const requestSpec = fc.record({
  protocol: fc.constantFrom<Protocol>('json', 'osmand', 'traccar', 'owntracks', 'overland', 'gpx'),
  vehicle: fc.nat({ max: 3 }),
  fixes: fc.array(fixSpec, { minLength: 1, maxLength: 4 }),
  badIdentifier: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});
type RequestSpec = typeof requestSpec extends fc.Arbitrary<infer T> ? T : never;

// ---- the oracle: what storage must hold for a fix, in stored units (written from the documented
// protocol rules, not from the decoders)
const STRICT: Protocol[] = ['json', 'osmand', 'traccar', 'owntracks'];
const SPEED_TO_KMH: Record<Protocol, number> = {
  json: 1,
  osmand: 1.852,
  traccar: 3.6,
  owntracks: 1,
  overland: 3.6,
  gpx: 3.6,
};
const BATTERY_FRACTION: Protocol[] = ['traccar', 'overland'];
const FIELDS: Record<Protocol, Measurement[]> = {
  json: ['speed', 'heading', 'altitude', 'accuracy', 'battery'],
  osmand: ['speed', 'heading', 'altitude', 'accuracy', 'battery'],
  traccar: ['speed', 'heading', 'altitude', 'accuracy', 'battery'],
  owntracks: ['speed', 'heading', 'altitude', 'accuracy', 'battery'],
  overland: ['speed', 'heading', 'altitude', 'accuracy', 'battery'],
  gpx: ['speed', 'heading', 'altitude'],
};

/** The number a protocol reads from what was sent (query strings and GPX carry text). */
function readNumber(sent: Sent): number | undefined {
  if (typeof sent === 'number') return Number.isFinite(sent) ? sent : undefined;
  if (sent === INF) return undefined;
  if (typeof sent !== 'string' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(sent)) return undefined;
  const n = Number(sent);
  return Number.isFinite(n) ? n : undefined;
}

/** The stored value: null when unknown (documented sentinels) or when storage cannot hold it. */
function expectedMeasurement(protocol: Protocol, field: Measurement, sent: Sent): number | null {
  const n = readNumber(sent);
  if (n === undefined) return null;
  let v: number;
  if (field === 'speed') {
    if (n < 0) return null;
    v = n * SPEED_TO_KMH[protocol];
  } else if (field === 'heading') {
    if (n < 0 || n > 360) return null;
    v = n % 360;
  } else if (field === 'battery') {
    if (BATTERY_FRACTION.includes(protocol)) {
      if (n < 0 || n > 1) return null;
      v = Math.round(n * 1000) / 10;
    } else {
      if (n < 0 || n > 100) return null;
      v = n;
    }
  } else if (field === 'accuracy') {
    if (n < 0) return null;
    v = n;
  } else v = n;
  const { min, max } = MEASUREMENT_LIMITS[field];
  return Number.isFinite(v) && v >= min && v <= max && storableAsReal(v) ? v : null;
}

/** A strict JSON field refuses what another protocol would drop. */
function jsonRefuses(field: Measurement, sent: Sent): boolean {
  if (sent === undefined) return false;
  if (typeof sent !== 'number') return true;
  const { min, max } = MEASUREMENT_LIMITS[field];
  return !(Number.isFinite(sent) && sent >= min && sent <= max && storableAsReal(sent));
}

const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const OVERLAND_KEYS = ['motion', 'battery_state', 'wifi', 'vertical_accuracy', 'speed_accuracy', 'activity'];

/** The attributes a protocol carries for these entries, and the ones storage must hold. */
function attributesFor(
  protocol: Protocol,
  list: Entry[],
): { sent: Entry[]; expected: Record<string, unknown> | undefined } {
  let sent = list;
  // Overland keeps a fixed list of properties: the entries' values travel under those names.
  if (protocol === 'overland')
    sent = list.map((e, i) => ({ key: OVERLAND_KEYS[i], value: e.value, clean: isCleanValue(e.value) }));
  if (protocol === 'gpx') return { sent: [], expected: undefined };
  if (protocol === 'osmand') {
    // Query strings carry text only; a lone surrogate travels as U+FFFD (URL encoding of a string).
    sent = list.map((e) => {
      const value = typeof e.value === 'string' ? e.value : (JSON.stringify(e.value) ?? '');
      const key = e.key.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
      return { key, value, clean: !key.includes('\u0000') && key.length <= 64 && !value.includes('\u0000') };
    });
  }
  const kept = sent.filter((e) =>
    protocol === 'owntracks'
      ? e.clean && (['string', 'number', 'boolean'].includes(typeof e.value) || Array.isArray(e.value))
      : e.clean,
  );
  return { sent, expected: Object.fromEntries(kept.map((e) => [e.key, e.value])) };
}
const isCleanValue = (value: unknown) =>
  value !== DEEP &&
  !(Array.isArray(value) && value.length > 100) &&
  !(typeof value === 'string' && (value.length > 4096 || textProblem(value) !== undefined));

interface Expectation {
  vehicleId: string;
  ts: number;
  lat: number;
  lon: number;
  measurements: Partial<Record<Measurement, number | null>>;
  /** Attributes the row must hold (besides those the protocol adds itself); undefined: not checked. */
  attributes?: Record<string, unknown>;
  /** Check the attribute keys only (OsmAnd types query values). */
  keysOnly?: boolean;
  request: string;
}

interface Built {
  send: () => Promise<Response>;
  /** Fixes the request stores when answered 2xx (strict protocols: all or nothing). */
  storable: Expectation[];
  /** Whether the API must answer 2xx (else 4xx naming a field). */
  expectOk: boolean;
}

function build(spec: RequestSpec, vehicle: TestVehicle): Built {
  const { protocol } = spec;
  const storable: Expectation[] = [];
  let allValid = true;
  let jsonRefused = false;
  let previous = 0;
  // OsmAnd carries one fix per request.
  const specFixes = protocol === 'osmand' ? spec.fixes.slice(0, 1) : spec.fixes;
  const fixes = specFixes.map((f, i) => {
    const secs = f.sameTimeAsPrevious && i > 0 ? previous : base + (clock += 1);
    previous = secs;
    const format: TimeFormat = protocol === 'owntracks' ? 'epoch_s' : f.time.kind === 'valid' ? f.time.format : 'iso';
    const time = f.time.kind === 'valid' ? renderTime(secs, format) : f.time.value;
    const timeValid = f.time.kind === 'valid';
    const valid = timeValid && f.place.valid;
    if (!valid) allValid = false;
    const { sent, expected } = attributesFor(protocol, f.entries);
    if (protocol === 'json') {
      for (const field of FIELDS.json) if (jsonRefuses(field, f[field])) jsonRefused = true;
      if (sent.some((e) => !e.clean)) jsonRefused = true;
    }
    if (valid) {
      storable.push({
        vehicleId: vehicle.id,
        ts: secs * 1000,
        lat: f.place.lat,
        lon: f.place.lon,
        measurements: Object.fromEntries(
          FIELDS[protocol].map((field) => [field, expectedMeasurement(protocol, field, f[field])]),
        ),
        attributes: expected && (roundTrip(expected) as Record<string, unknown>),
        keysOnly: protocol === 'osmand',
        request: '',
      });
    }
    return { f, time, sent };
  });
  const strict = STRICT.includes(protocol);
  const expectOk =
    !(spec.badIdentifier && protocol !== 'gpx') &&
    !jsonRefused &&
    (strict ? allValid : protocol === 'overland' ? storable.length > 0 : true);
  const attrs = (sent: Entry[]) => Object.fromEntries(sent.map((e) => [e.key, e.value]));
  const num = (v: Sent) => (v === undefined ? undefined : v);
  let send: () => Promise<Response>;
  const json = (url: string, body: unknown, headers: Record<string, string>) => () =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: rawJson(JSON.stringify(body)),
    });
  const bearer = { authorization: `Bearer ${vehicle.token}` };
  if (protocol === 'json') {
    send = json(
      `${t.base}/api/v1/positions`,
      fixes.map(({ f, time, sent }) => ({
        ts: time,
        lat: f.place.lat,
        lon: f.place.lon,
        speed: num(f.speed),
        heading: num(f.heading),
        altitude: num(f.altitude),
        accuracy: num(f.accuracy),
        battery: num(f.battery),
        ...(sent.length && { attributes: attrs(sent) }),
        ...(spec.badIdentifier && { deviceId: `${vehicle.identifier}\u0000` }),
      })),
      bearer,
    );
  } else if (protocol === 'osmand') {
    const { f, time, sent } = fixes[0];
    const params = new URLSearchParams();
    params.set('id', spec.badIdentifier ? `${vehicle.identifier}\u0000` : vehicle.identifier);
    params.set('timestamp', String(time));
    params.set('lat', String(f.place.lat));
    params.set('lon', String(f.place.lon));
    const text = (v: Sent) => (v === INF ? '1e999' : String(v));
    if (f.speed !== undefined) params.set('speed', text(f.speed));
    if (f.heading !== undefined) params.set('bearing', text(f.heading));
    if (f.altitude !== undefined) params.set('altitude', text(f.altitude));
    if (f.accuracy !== undefined) params.set('accuracy', text(f.accuracy));
    if (f.battery !== undefined) params.set('batt', text(f.battery));
    for (const e of sent) params.set(e.key, String(e.value));
    send = () =>
      fetch(`http://127.0.0.1:${t.api.osmandPort}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: params.toString(),
      });
  } else if (protocol === 'traccar') {
    send = json(
      `http://127.0.0.1:${t.api.osmandPort}/`,
      {
        device_id: spec.badIdentifier ? `${vehicle.identifier}\ud800` : vehicle.identifier,
        location: fixes.map(({ f, time, sent }) => ({
          timestamp: time,
          coords: {
            latitude: f.place.lat,
            longitude: f.place.lon,
            speed: num(f.speed),
            heading: num(f.heading),
            altitude: num(f.altitude),
            accuracy: num(f.accuracy),
          },
          ...(f.battery !== undefined && { battery: { level: f.battery } }),
          ...(sent.length && { extras: attrs(sent) }),
        })),
      },
      {},
    );
  } else if (protocol === 'owntracks') {
    const messages = fixes.map(({ f, time, sent }) => ({
      ...attrs(sent),
      _type: 'location',
      tst: time,
      lat: f.place.lat,
      lon: f.place.lon,
      vel: num(f.speed),
      cog: num(f.heading),
      alt: num(f.altitude),
      acc: num(f.accuracy),
      batt: num(f.battery),
      ...(spec.badIdentifier && { tid: '\u0000' }),
    }));
    send = json(`${t.base}/api/v1/owntracks`, messages.length === 1 ? messages[0] : messages, {
      authorization: `Basic ${Buffer.from(`u:${vehicle.token}`).toString('base64')}`,
    });
  } else if (protocol === 'overland') {
    send = json(
      `${t.base}/api/v1/overland`,
      {
        locations: fixes.map(({ f, time, sent }) => ({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [f.place.lon, f.place.lat] },
          properties: {
            ...attrs(sent),
            timestamp: time,
            speed: num(f.speed),
            course: num(f.heading),
            altitude: num(f.altitude),
            horizontal_accuracy: num(f.accuracy),
            battery_level: num(f.battery),
            ...(spec.badIdentifier && { device_id: 'phone\u0000' }),
          },
        })),
      },
      bearer,
    );
  } else {
    const text = (tag: string, v: Sent) =>
      v === undefined ? '' : `<${tag}>${v === INF ? '1e999' : String(v)}</${tag}>`;
    const points = fixes.map(
      ({ f, time }) =>
        `<trkpt lat="${f.place.lat}" lon="${f.place.lon}">${text('ele', f.altitude)}<time>${time}</time>${text('speed', f.speed)}${text('course', f.heading)}</trkpt>`,
    );
    const body = `<?xml version="1.0" encoding="UTF-8"?><gpx version="1.0"><trk><trkseg>${points.join('')}</trkseg></trk></gpx>`;
    send = () =>
      fetch(`${t.base}/api/v1/vehicles/${vehicle.id}/import`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/gpx+xml' },
        body,
      });
  }
  return { send, storable, expectOk };
}

const close = (stored: number, expected: number) => Math.abs(stored - expected) <= 1e-6 * Math.abs(expected) + 1e-40;

describe('every 2xx is stored: generated requests for every protocol, with the values storage refuses', () => {
  jest.setTimeout(120_000);

  it('stores what was answered 2xx within seconds, as sent or without the fields storage cannot hold', async () => {
    const expected = new Map<string, Expectation[]>();
    const started = Date.now();
    let answered2xx = 0;
    let answered4xx = 0;
    await fc.assert(
      fc.asyncProperty(requestSpec, async (spec) => {
        const vehicle = fleet[spec.vehicle];
        const built = build(spec, vehicle);
        const res = await built.send();
        const text = await res.text();
        const describe = `${spec.protocol} ${res.status} ${text.slice(0, 300)}`;
        expect(res.status).toBeLessThan(500);
        if (res.status < 300) {
          answered2xx += 1;
          expect({ ok: true, describe }).toEqual({ ok: built.expectOk, describe });
          for (const e of built.storable) {
            const key = `${e.vehicleId}|${e.ts}`;
            expected.set(key, [...(expected.get(key) ?? []), { ...e, request: describe }]);
          }
        } else {
          answered4xx += 1;
          expect({ ok: false, describe }).toEqual({ ok: built.expectOk, describe });
          const details = ErrorBody.parse(JSON.parse(text)).error.details ?? [];
          expect(details.length).toBeGreaterThan(0);
          for (const d of details) expect(d.path).toMatch(/\S/);
        }
      }),
      { numRuns: 150 },
    );

    // Within seconds of the last answer, exactly the expected rows are stored.
    const ids = fleet.map((v) => v.id);
    const count = async () =>
      Number(
        (await db.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = ANY($1::uuid[])', [ids])).rows[0].n,
      );
    await waitFor(async () => (await count()) >= expected.size, { timeoutMs: 10_000, what: `${expected.size} rows` });
    const rows = await db.query<{
      vehicle_id: string;
      ms: string;
      lat: number;
      lon: number;
      speed_kmh: number | null;
      heading: number | null;
      altitude: number | null;
      accuracy: number | null;
      battery: number | null;
      attributes: Record<string, unknown> | null;
    }>(
      `SELECT vehicle_id, (extract(epoch FROM ts) * 1000)::bigint AS ms, ST_Y(point) AS lat, ST_X(point) AS lon,
              speed_kmh, heading, altitude, accuracy, battery, attributes
         FROM positions WHERE vehicle_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows.rows.length).toBe(expected.size);
    const column: Record<Measurement, 'speed_kmh' | 'heading' | 'altitude' | 'accuracy' | 'battery'> = {
      speed: 'speed_kmh',
      heading: 'heading',
      altitude: 'altitude',
      accuracy: 'accuracy',
      battery: 'battery',
    };
    for (const row of rows.rows) {
      const candidates = expected.get(`${row.vehicle_id}|${row.ms}`);
      expect({ row: `${row.vehicle_id}|${row.ms}`, expected: candidates !== undefined }).toEqual({
        row: `${row.vehicle_id}|${row.ms}`,
        expected: true,
      });
      // One of the fixes sent with this timestamp (the writer keeps one), exactly as the oracle says.
      const matches = candidates!.filter((e) => {
        if (row.lat !== e.lat || row.lon !== e.lon) return false;
        for (const [field, value] of Object.entries(e.measurements) as Array<[Measurement, number | null]>) {
          const stored = row[column[field]];
          if (value === null ? stored !== null : stored === null || !close(stored, value)) return false;
        }
        if (e.attributes) {
          const stored = row.attributes ?? {};
          for (const [key, value] of Object.entries(e.attributes)) {
            if (!(key in stored)) return false;
            // jsonb orders keys its own way: compare values, not text.
            if (!e.keysOnly && !isDeepStrictEqual(stored[key], value)) return false;
          }
        }
        return true;
      });
      if (!matches.length) {
        throw new Error(
          `stored row ${JSON.stringify(row)} matches none of the fixes sent: ${JSON.stringify(candidates, null, 1).slice(0, 3000)}`,
        );
      }
    }
    const dead = await db.query('SELECT count(*) AS n FROM ingest_staging WHERE dead_letter_reason IS NOT NULL');
    expect(Number(dead.rows[0].n)).toBe(0);
    expect(answered2xx).toBeGreaterThan(20);
    expect(answered4xx).toBeGreaterThan(5);
    expect(Date.now() - started).toBeLessThan(90_000);
  });
});
