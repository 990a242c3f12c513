import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { decodeBatch } from './codec';
import { StagingWriter } from './staging';
import type { NormalizedPosition } from './types';

describe('StagingWriter against PostgreSQL', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let org: string;
  let vehicles: string[];

  beforeAll(async () => {
    testDb = await createTestDatabase('queue-staging');
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    org = (await pool.query<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('S', 's') RETURNING id"))
      .rows[0].id;
    vehicles = [];
    for (let i = 0; i < 3; i++)
      vehicles.push(
        (
          await pool.query<{ id: string }>(
            "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van', $2) RETURNING id",
            [org, `stg-${i}`],
          )
        ).rows[0].id,
      );
  });
  afterAll(async () => {
    await pool?.end();
    await testDb?.drop();
  });

  const base = Date.UTC(2026, 10, 20, 8);
  let seq = 0;
  const fixes = (vehicle: number, n: number): NormalizedPosition[] =>
    Array.from({ length: n }, () => ({
      vehicleId: vehicles[vehicle],
      organizationId: org,
      ts: base + ++seq * 1000,
      lat: 40 + seq / 1e5,
      lon: -3.7,
      ...(seq % 2 ? { speedKmh: seq % 90 } : {}),
    }));
  const row = async (id: string) =>
    (
      await pool.query<{ protocol: string; position_count: number; payload: string }>(
        'SELECT protocol, position_count, payload::text FROM ingest_staging WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('merges small requests of one protocol that share a commit into one row, announced by one of them', async () => {
    // One commit in flight at a time: the first request commits alone, the next ones queue up behind it.
    const writer = new StagingWriter(pool, { maxConcurrentCommits: 1 });
    const first = writer.stage({ protocol: 'osmand', positions: fixes(0, 1) });
    const requests = [fixes(0, 1), fixes(1, 2), fixes(2, 1), fixes(1, 3)];
    const queued = requests.map((positions) => writer.stage({ protocol: 'osmand', positions }));
    const [alone, ...shared] = await Promise.all([first, ...queued]);

    expect(alone.lead).toBe(true);
    expect(alone.staged.count).toBe(1);
    expect(new Set(shared.map((r) => r.staged.id)).size).toBe(1);
    expect(shared.map((r) => r.lead)).toEqual([true, false, false, false]);
    expect(shared[0].staged.id).not.toBe(alone.staged.id);

    // The row holds every request's positions, in arrival order, and says how many.
    const stored = await row(shared[0].staged.id);
    expect(stored).toMatchObject({ protocol: 'osmand', position_count: 7 });
    expect(stored.payload).toBe(shared[0].staged.payload);
    const columns = decodeBatch(stored.payload);
    const expected = requests.flat();
    expect(columns.ts).toEqual(expected.map((p) => p.ts));
    expect(columns.vehicleId).toEqual(expected.map((p) => p.vehicleId));
    expect(columns.speedKmh).toEqual(expected.map((p) => p.speedKmh ?? null));
  });

  it('lets requests arriving during a commit gather for the next one rather than start a commit each', async () => {
    const writer = new StagingWriter(pool); // four commits may be in flight
    const first = writer.stage({ protocol: 'osmand', positions: fixes(0, 1) });
    const next = [fixes(1, 1), fixes(2, 1), fixes(0, 1)].map((positions) =>
      writer.stage({ protocol: 'osmand', positions }),
    );
    const [alone, ...gathered] = await Promise.all([first, ...next]);
    expect(new Set(gathered.map((r) => r.staged.id)).size).toBe(1);
    expect(gathered[0].staged.id).not.toBe(alone.staged.id);
    expect(gathered[0].staged.count).toBe(3);
  });

  it('keeps protocols apart and caps a row at maxPositionsPerRow positions', async () => {
    const writer = new StagingWriter(pool, { maxConcurrentCommits: 1, maxPositionsPerRow: 5 });
    const blocker = writer.stage({ protocol: 'osmand', positions: fixes(0, 1) });
    const a = writer.stage({ protocol: 'osmand', positions: fixes(0, 3) });
    const b = writer.stage({ protocol: 'teltonika', positions: fixes(1, 2) });
    const c = writer.stage({ protocol: 'osmand', positions: fixes(0, 2) });
    const d = writer.stage({ protocol: 'osmand', positions: fixes(2, 1) }); // 3 + 2 = 5 full: a new row
    const big = writer.stage({ protocol: 'osmand', positions: fixes(2, 8) }); // larger than a row: its own
    await blocker;
    const [ra, rb, rc, rd, rbig] = await Promise.all([a, b, c, d, big]);
    expect(ra.staged.id).toBe(rc.staged.id);
    expect(ra.staged.count).toBe(5);
    expect(rb.staged.id).not.toBe(ra.staged.id);
    expect((await row(rb.staged.id)).protocol).toBe('teltonika');
    expect(rd.staged.id).not.toBe(ra.staged.id);
    expect(rbig.staged.id).not.toBe(rd.staged.id);
    expect(rbig.staged.count).toBe(8);
    expect([ra, rb, rc, rd, rbig].map((r) => r.lead)).toEqual([true, true, false, true, true]);
    for (const r of [ra, rb, rd, rbig])
      expect((await row(r.staged.id)).position_count).toBe(decodeBatch(r.staged.payload).ts.length);
  });

  it('fails every request of a commit that fails, and goes on with the next ones', async () => {
    const writer = new StagingWriter(pool, { maxConcurrentCommits: 1 });
    const blocker = writer.stage({ protocol: 'osmand', positions: fixes(0, 1) });
    // A NUL byte in a text parameter: PostgreSQL refuses it, so the whole multi-row insert fails.
    const poisoned = [
      writer.stage({ protocol: 'osmand', positions: fixes(0, 1) }),
      writer.stage({ protocol: 'os\u0000mand', positions: fixes(1, 1) }),
    ];
    await blocker;
    for (const p of poisoned) await expect(p).rejects.toThrow();
    const after = await writer.stage({ protocol: 'osmand', positions: fixes(2, 2) });
    expect(after.lead).toBe(true);
    expect((await row(after.staged.id)).position_count).toBe(2);
  });
});
