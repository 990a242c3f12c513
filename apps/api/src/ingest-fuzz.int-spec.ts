import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import fc from 'fast-check';
import pg from 'pg';
import { createFleet, type TestVehicle } from './testing/fixtures';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let fleet: TestVehicle[];
let db: pg.Pool;

beforeAll(async () => {
  testDb = await createTestDatabase('api-fuzz');
  db = new pg.Pool({ connectionString: testDb.url, max: 1 });
  fleet = await createFleet(testDb.url, { count: 1, slug: 'fuzz' });
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:fuzz:${process.pid}:` });
});

afterAll(async () => {
  await t?.api.stop();
  await db?.end();
  await testDb?.drop();
});

const staged = async () => Number((await db.query('SELECT count(*) AS n FROM ingest_staging')).rows[0].n);

// A valid position with exactly one field broken: close enough to be parsed, never acceptable.
const brokenPosition = fc
  .record({
    field: fc.constantFrom('lat', 'lon', 'ts', 'speed', 'battery', 'extra'),
    value: fc.oneof(
      fc.string(),
      fc.double({ noDefaultInfinity: false }),
      fc.constant(null),
      fc.constant(1e308),
      fc.constant(-500),
      fc.array(fc.integer()),
    ),
  })
  .map(({ field, value }) => {
    const position: Record<string, unknown> = { ts: new Date(Date.now() - 60_000).toISOString(), lat: 40, lon: -3 };
    if (field === 'lat')
      position['lat'] = typeof value === 'number' && Math.abs(value) <= 90 ? 91 + Math.abs(value) : value;
    else if (field === 'lon')
      position['lon'] = typeof value === 'number' && Math.abs(value) <= 180 ? 181 + Math.abs(value) : value;
    else if (field === 'ts')
      position['ts'] = typeof value === 'string' ? `x${value}` : new Date(Date.now() + 86_400_000).toISOString();
    else if (field === 'speed')
      position['speed'] = typeof value === 'number' && value >= 0 && value <= 2000 ? -1 - value : value;
    else if (field === 'battery')
      position['battery'] = typeof value === 'number' && value >= 0 && value <= 100 ? 101 + value : value;
    else position['latitude'] = value;
    return position;
  });

describe('fuzzed ingestion input', () => {
  jest.setTimeout(120_000);

  it('never answers 5xx, never crashes and never stores a row', async () => {
    const before = await staged();
    const auth = { authorization: `Bearer ${fleet[0].token}` };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant('json' as const),
            body: fc.oneof(fc.jsonValue(), brokenPosition, fc.array(brokenPosition, { minLength: 1, maxLength: 5 })),
          }),
          fc.record({ kind: fc.constant('raw' as const), body: fc.string({ maxLength: 300 }) }),
          fc.record({
            kind: fc.constant('osmand' as const),
            body: fc.dictionary(
              fc.constantFrom('id', 'lat', 'lon', 'timestamp', 'location', 'speed', 'valid', 'batt'),
              fc.string({ maxLength: 30 }),
            ),
          }),
          fc.record({ kind: fc.constant('owntracks' as const), body: fc.jsonValue() }),
          fc.record({ kind: fc.constant('overland' as const), body: fc.jsonValue() }),
          fc.record({ kind: fc.constant('gpx' as const), body: fc.string({ maxLength: 300 }) }),
        ),
        async (input) => {
          let res: Response;
          if (input.kind === 'json') {
            res = await fetch(`${t.base}/api/v1/positions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...auth },
              body: JSON.stringify(input.body),
            });
          } else if (input.kind === 'raw') {
            res = await fetch(`${t.base}/api/v1/positions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...auth },
              body: input.body,
            });
          } else if (input.kind === 'osmand') {
            // The identifier is always a real device, so only the fix itself can be wrong.
            const params = new URLSearchParams({
              ...input.body,
              id: fleet[0].identifier,
              lat: `x${input.body['lat'] ?? ''}`,
            });
            res = await fetch(`http://127.0.0.1:${t.api.osmandPort}/?${params}`, { method: 'POST' });
          } else if (input.kind === 'owntracks') {
            const body =
              typeof input.body === 'object' && input.body && !Array.isArray(input.body)
                ? { ...input.body, _type: 'location', lat: 'north' }
                : input.body;
            res = await fetch(`${t.base}/api/v1/owntracks`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Basic ${Buffer.from(`u:${fleet[0].token}`).toString('base64')}`,
              },
              body: JSON.stringify(body),
            });
          } else if (input.kind === 'overland') {
            res = await fetch(`${t.base}/api/v1/overland`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...auth },
              body: JSON.stringify({ locations: [input.body, { type: 'Feature' }] }),
            });
          } else {
            res = await fetch(`${t.base}/api/v1/vehicles/${fleet[0].id}/import`, {
              method: 'POST',
              headers: { 'content-type': 'application/gpx+xml', ...auth },
              body: input.body,
            });
          }
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    expect(await staged()).toBe(before);
    expect((await fetch(`${t.base}/health`)).status).toBe(200);
  });

  // What PostgreSQL refuses, in identifiers and anywhere in JSON, on every ingestion route; the fix
  // itself is always invalid (latitude 95), so nothing may be stored whatever the route decides.
  it('answers hostile text and depth in identifiers, attributes and extras with 4xx on every ingestion route', async () => {
    const before = await staged();
    const hostile = fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\udbff\u0000');
    const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const osmand = `http://127.0.0.1:${t.api.osmandPort}`;
    const basic = `Basic ${Buffer.from(`u:${fleet[0].token}`).toString('base64')}`;
    const auth = `Bearer ${fleet[0].token}`;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('json', 'osmand', 'osmand-form', 'traccar', 'owntracks', 'overland'),
        hostile,
        fc.constantFrom(10, 6000, 20_000),
        fc.boolean(),
        async (route, text, depth, inIdentifier) => {
          // JSON carries the text escaped (\u0000, \ud800); URLs carry NUL as %00 and a lone
          // surrogate as its (invalid) UTF-8 bytes.
          const esc = (value: string) => JSON.stringify(value).slice(1, -1);
          const url = (value: string) =>
            [...value]
              .map((c) => (c === '\u0000' ? '%00' : /[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c)))
              .join('');
          const id = inIdentifier ? `${fleet[0].identifier}${text}` : fleet[0].identifier;
          const attrs = `{"k${esc(text)}":1,"v":"${esc(text)}","deep":${deep(depth)}}`;
          const fix = `"lat":95,"lon":1`;
          let res: Response;
          const json = (url: string, body: string, headers: Record<string, string> = {}) =>
            fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
          if (route === 'json')
            res = await json(`${t.base}/api/v1/positions`, `{"ts":1764244800,${fix},"attributes":${attrs}}`, {
              authorization: auth,
            });
          else if (route === 'osmand')
            res = await fetch(`${osmand}/any/path?id=${url(id)}&lat=95&lon=1&k${url(text)}=1`);
          else if (route === 'osmand-form')
            res = await fetch(`${t.base}/api/v1/osmand`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `id=${url(id)}&lat=95&lon=1&note=${url(text)}`,
            });
          else if (route === 'traccar')
            res = await json(
              `${osmand}/`,
              `{"device_id":"${esc(id)}","location":{"timestamp":1764244800,"coords":{"latitude":95,"longitude":1},"extras":${attrs}}}`,
            );
          else if (route === 'owntracks')
            res = await json(
              `${t.base}/api/v1/owntracks`,
              `{"_type":"location","tst":1764244800,${fix},"tid":"${esc(inIdentifier ? text : 'ab')}","inregions":[${deep(depth)}]}`,
              { authorization: basic },
            );
          else
            res = await json(
              `${t.base}/api/v1/overland`,
              `{"locations":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,95]},"properties":{"timestamp":"2025-11-27T12:00:00Z","device_id":"${esc(inIdentifier ? text : 'phone')}","wifi":${attrs}}}]}`,
              { authorization: auth },
            );
          const body = await res.text();
          expect({ route, status: res.status, body: body.slice(0, 200) }).toEqual({
            route,
            status: expect.any(Number),
            body: expect.any(String),
          });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 120 },
    );
    expect(await staged()).toBe(before);
  });
});
