import { ErrorBody, Geofence, GeofenceList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let pool: pg.Pool;
let tokens: Record<string, string>;
let orgs: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase('api-geofences');
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  // pool.end() resolves before its connections have closed; the database's DROP … FORCE may still
  // reach one, and an unheard pool 'error' would fail the suite.
  pool.on('error', () => undefined);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:geofences:${process.pid}:` });
  tokens = await loginAll(t.base, ['a', 'b']);
});

afterAll(async () => {
  await t?.api.stop();
  await pool?.end();
  await testDb?.drop();
});

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);

/** A square of `size` degrees with its south-west corner at (lat, lon), ring left open. */
const square = (lat: number, lon: number, size = 0.01) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon, lat],
      [lon + size, lat],
      [lon + size, lat + size],
      [lon, lat + size],
    ],
  ],
});

async function create(as: string, body: unknown) {
  const res = await call(as, 'POST', '/geofences', body);
  expect(res.status).toBe(201);
  return Geofence.parse(await res.json());
}

async function problems(res: Response) {
  expect(res.status).toBe(400);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.code).toBe('validation_failed');
  return body.error.details ?? [];
}

describe('geofences', () => {
  jest.setTimeout(30_000);

  it('creates a polygon with its open ring closed, and returns it as GeoJSON', async () => {
    const g = await create('operator@a', {
      name: 'Depot',
      kind: 'polygon',
      polygon: square(40.4, -3.7),
      attributes: { colour: 'red' },
    });
    expect(g).toMatchObject({
      name: 'Depot',
      kind: 'polygon',
      center: null,
      radiusM: null,
      attributes: { colour: 'red' },
    });
    expect(g.geometry.type).toBe('Polygon');
    const ring = g.geometry.coordinates[0];
    expect(ring).toHaveLength(5);
    expect(ring[0]).toEqual(ring[4]);
    expect(ring[0]).toEqual([-3.7, 40.4]);
    const again = Geofence.parse(await (await call('viewer@a', 'GET', `/geofences/${g.id}`)).json());
    expect(again).toEqual(g);
  });

  it('keeps a closed ring as given, drops altitudes, and keeps holes', async () => {
    const g = await create('admin@a', {
      name: 'Yard with a hole',
      kind: 'polygon',
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0, 650],
            [1, 0, 650],
            [1, 1, 650],
            [0, 1, 650],
            [0, 0, 650],
          ],
          [
            [0.2, 0.2],
            [0.4, 0.2],
            [0.4, 0.4],
            [0.2, 0.2],
          ],
        ],
      },
    });
    expect(g.geometry.coordinates).toEqual([
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
        [0, 0],
      ],
      [
        [0.2, 0.2],
        [0.4, 0.2],
        [0.4, 0.4],
        [0.2, 0.2],
      ],
    ]);
  });

  it('stores a circle as its 64-sided polygon of the right size, with center and radius', async () => {
    const g = await create('operator@a', {
      name: 'Office',
      kind: 'circle',
      center: { lat: 40.4, lon: -3.7 },
      radiusM: 500,
    });
    expect(g).toMatchObject({ kind: 'circle', center: { lat: 40.4, lon: -3.7 }, radiusM: 500 });
    expect(g.geometry.coordinates[0]).toHaveLength(65);
    const measured = (
      await pool.query<{ area: number; d: number }>(
        `SELECT ST_Area(area::geography) AS area,
                ST_Distance(ST_PointN(ST_ExteriorRing(area), 1)::geography, center::geography) AS d
         FROM geofences WHERE id = $1`,
        [g.id],
      )
    ).rows[0];
    expect(measured.d).toBeCloseTo(500, 0);
    // A 64-gon inscribed in the circle covers 99.8% of it.
    expect(measured.area / (Math.PI * 500 ** 2)).toBeGreaterThan(0.995);
    expect(measured.area / (Math.PI * 500 ** 2)).toBeLessThan(1.0001);
  });

  it('refuses invalid shapes with a 400 naming the problem', async () => {
    const bowtie = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 1],
          [1, 0],
          [0, 1],
          [0, 0],
        ],
      ],
    };
    const selfIntersecting = await problems(
      await call('admin@a', 'POST', '/geofences', { name: 'x', kind: 'polygon', polygon: bowtie }),
    );
    expect(selfIntersecting).toEqual([{ path: 'polygon', message: expect.stringMatching(/^Self-intersection\[/) }]);

    const cases: Array<[unknown, string, RegExp]> = [
      [
        {
          name: 'x',
          kind: 'polygon',
          polygon: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 1],
                [0, 0],
              ],
            ],
          },
        },
        'polygon.coordinates.0',
        /at least 4 positions/,
      ],
      [
        { name: 'x', kind: 'polygon', polygon: { type: 'Polygon', coordinates: [] } },
        'polygon.coordinates',
        /exterior ring/,
      ],
      [{ name: 'x', kind: 'polygon', polygon: square(91, 0) }, 'polygon.coordinates.0.0.1', /latitude/],
      [{ name: 'x', kind: 'polygon', polygon: square(0, 180) }, 'polygon.coordinates.0.1.0', /longitude/],
      [{ name: 'x', kind: 'polygon', polygon: { type: 'Point', coordinates: [0, 0] } }, 'polygon.type', /./],
      [
        {
          name: 'x',
          kind: 'polygon',
          polygon: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0, 1, 2],
                [1, 0],
                [1, 1],
                [0, 0],
              ],
            ],
          },
        },
        'polygon.coordinates.0.0',
        /position/,
      ],
      [{ name: 'x', kind: 'circle', center: { lat: 0, lon: 0 }, radiusM: 5 }, 'radiusM', /at least 10 m/],
      [{ name: 'x', kind: 'circle', center: { lat: 0, lon: 0 }, radiusM: 100_001 }, 'radiusM', /at most 100000 m/],
      [
        { name: 'x', kind: 'circle', center: { lat: 0, lon: 0 }, radiusM: 100, polygon: square(0, 0) },
        'polygon',
        /unknown field/,
      ],
      [{ name: '', kind: 'circle', center: { lat: 0, lon: 0 }, radiusM: 100 }, 'name', /./],
      [{ name: 'x', kind: 'hexagon' }, 'kind', /./],
    ];
    for (const [body, path, message] of cases) {
      const details = await problems(await call('admin@a', 'POST', '/geofences', body));
      expect(details).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
    }

    // Too many vertices in all rings together.
    const ring = Array.from({ length: 10_001 }, (_, i) => {
      const a = (2 * Math.PI * i) / 10_001;
      return [Math.cos(a), Math.sin(a)];
    });
    const many = await problems(
      await call('admin@a', 'POST', '/geofences', {
        name: 'x',
        kind: 'polygon',
        polygon: { type: 'Polygon', coordinates: [ring] },
      }),
    );
    expect(many.map((d) => d.message).join(' ')).toMatch(/10000/);

    // A circle whose polygon would wrap over the antimeridian.
    const wrap = await problems(
      await call('admin@a', 'POST', '/geofences', {
        name: 'x',
        kind: 'circle',
        center: { lat: 0, lon: 179.9995 },
        radiusM: 1000,
      }),
    );
    expect(wrap).toEqual([{ path: 'center', message: expect.stringMatching(/antimeridian/) }]);
    const pole = await problems(
      await call('admin@a', 'POST', '/geofences', {
        name: 'x',
        kind: 'circle',
        center: { lat: 89.995, lon: 0 },
        radiusM: 1000,
      }),
    );
    expect(pole).toEqual([{ path: 'center', message: expect.stringMatching(/pole/) }]);
    expect(Number((await pool.query("SELECT count(*) AS n FROM geofences WHERE name = 'x'")).rows[0].n)).toBe(0);
  });

  it('changes name, attributes and shape; a polygon becomes a circle only with center and radius', async () => {
    const g = await create('admin@a', { name: 'Shifting', kind: 'polygon', polygon: square(10, 10) });
    const renamed = Geofence.parse(
      await (await call('operator@a', 'PATCH', `/geofences/${g.id}`, { name: 'Shifted', attributes: { a: 1 } })).json(),
    );
    expect(renamed).toMatchObject({ name: 'Shifted', attributes: { a: 1 }, geometry: g.geometry });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(g.updatedAt));

    const half = await problems(await call('operator@a', 'PATCH', `/geofences/${g.id}`, { radiusM: 300 }));
    expect(half).toEqual([{ path: 'center', message: expect.stringMatching(/required/) }]);
    const kindOnly = await problems(await call('operator@a', 'PATCH', `/geofences/${g.id}`, { kind: 'circle' }));
    expect(kindOnly[0].path).toBe('center');
    const mixed = await problems(
      await call('operator@a', 'PATCH', `/geofences/${g.id}`, { polygon: square(0, 0), radiusM: 100 }),
    );
    expect(mixed[0].path).toBe('polygon');

    const circle = Geofence.parse(
      await (
        await call('operator@a', 'PATCH', `/geofences/${g.id}`, { center: { lat: 10, lon: 10 }, radiusM: 300 })
      ).json(),
    );
    expect(circle).toMatchObject({ kind: 'circle', center: { lat: 10, lon: 10 }, radiusM: 300, name: 'Shifted' });
    const wider = Geofence.parse(
      await (await call('operator@a', 'PATCH', `/geofences/${g.id}`, { radiusM: 600 })).json(),
    );
    expect(wider).toMatchObject({ center: { lat: 10, lon: 10 }, radiusM: 600 });
    const back = Geofence.parse(
      await (
        await call('operator@a', 'PATCH', `/geofences/${g.id}`, { kind: 'polygon', polygon: square(11, 11) })
      ).json(),
    );
    expect(back).toMatchObject({ kind: 'polygon', center: null, radiusM: null });
    expect(back.geometry.coordinates[0][0]).toEqual([11, 11]);

    const invalid = await problems(
      await call('operator@a', 'PATCH', `/geofences/${g.id}`, {
        polygon: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [1, 0],
              [0, 1],
              [0, 0],
            ],
          ],
        },
      }),
    );
    expect(invalid[0].message).toMatch(/Self-intersection/);
    expect(await problems(await call('operator@a', 'PATCH', `/geofences/${g.id}`, { colour: 'x' }))).toHaveLength(1);
  });

  it('lists by name with pagination, and filters by kind, name and bbox', async () => {
    await pool.query('DELETE FROM geofences');
    await create('admin@a', { name: 'Madrid depot', kind: 'polygon', polygon: square(40.4, -3.7) });
    await create('admin@a', {
      name: 'Madrid office',
      kind: 'circle',
      center: { lat: 40.42, lon: -3.69 },
      radiusM: 200,
    });
    await create('admin@a', { name: 'Lisbon port', kind: 'polygon', polygon: square(38.7, -9.15) });
    await create('admin@b', { name: 'Madrid of B', kind: 'polygon', polygon: square(40.4, -3.7) });

    const list = async (query: string) => {
      const res = await call('viewer@a', 'GET', `/geofences${query}`);
      expect(res.status).toBe(200);
      return GeofenceList.parse(await res.json());
    };
    const all = await list('');
    expect(all.items.map((g) => g.name)).toEqual(['Lisbon port', 'Madrid depot', 'Madrid office']);
    expect(all.total).toBe(3);
    const page = await list('?limit=2&offset=2');
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 2 });
    expect(page.items.map((g) => g.name)).toEqual(['Madrid office']);
    expect((await list('?kind=circle')).items.map((g) => g.name)).toEqual(['Madrid office']);
    expect((await list('?q=DEPOT')).items.map((g) => g.name)).toEqual(['Madrid depot']);
    // Around Madrid only; then a box touching nothing.
    expect((await list('?bbox=-4,40,-3,41')).items.map((g) => g.name)).toEqual(['Madrid depot', 'Madrid office']);
    expect((await list('?bbox=-3.6999,40.4001,-3.6998,40.4002')).items.map((g) => g.name)).toEqual(['Madrid depot']);
    expect((await list('?bbox=0,0,1,1')).total).toBe(0);

    for (const bad of [
      '?bbox=1,2,3',
      '?bbox=3,0,1,1',
      '?bbox=0,0,200,1',
      '?limit=0',
      '?limit=501',
      '?kind=square',
      '?x=1',
    ])
      await problems(await call('viewer@a', 'GET', `/geofences${bad}`));
  });

  it('lets viewers read but not write, and hides other organizations’ geofences (404)', async () => {
    const g = await create('admin@a', { name: 'Private', kind: 'circle', center: { lat: 1, lon: 1 }, radiusM: 50 });
    const body = { name: 'v', kind: 'circle', center: { lat: 1, lon: 1 }, radiusM: 50 };
    expect((await call('viewer@a', 'POST', '/geofences', body)).status).toBe(403);
    expect((await call('viewer@a', 'PATCH', `/geofences/${g.id}`, { name: 'v' })).status).toBe(403);
    expect((await call('viewer@a', 'DELETE', `/geofences/${g.id}`)).status).toBe(403);
    expect((await apiCall(t.base, undefined, 'GET', '/geofences')).status).toBe(401);
    for (const [method, b] of [
      ['GET', undefined],
      ['PATCH', { name: 'stolen' }],
      ['DELETE', undefined],
    ] as const)
      expect((await call('admin@b', method, `/geofences/${g.id}`, b)).status).toBe(404);
    expect((await call('admin@a', 'GET', '/geofences/not-a-uuid')).status).toBe(404);
    expect((await call('admin@a', 'GET', `/geofences/${g.id}`)).status).toBe(200);
  });

  it('deletes a geofence; its events stay without it, even two of one vehicle at the same instant', async () => {
    const [g1, g2] = [
      await create('admin@a', { name: 'Overlap 1', kind: 'polygon', polygon: square(50, 5) }),
      await create('admin@a', { name: 'Overlap 2', kind: 'polygon', polygon: square(50, 5, 0.02) }),
    ];
    const vehicle = (
      await pool.query(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van', 'geo-del-van') RETURNING id",
        [orgs['a']],
      )
    ).rows[0].id;
    // One fix entered both: two enter events with the same vehicle, type and ts.
    for (const g of [g1, g2])
      await pool.query(
        "INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id) VALUES ($1, $2, 'geofence_enter', '2026-01-01T10:00:00Z', $3)",
        [orgs['a'], vehicle, g.id],
      );
    expect((await call('operator@a', 'DELETE', `/geofences/${g1.id}`)).status).toBe(204);
    expect((await call('operator@a', 'DELETE', `/geofences/${g2.id}`)).status).toBe(204);
    expect((await call('operator@a', 'GET', `/geofences/${g1.id}`)).status).toBe(404);
    expect((await call('operator@a', 'DELETE', `/geofences/${g1.id}`)).status).toBe(404);
    const left = await pool.query('SELECT geofence_id FROM events WHERE vehicle_id = $1', [vehicle]);
    expect(left.rows).toEqual([{ geofence_id: null }]);
  });
});
