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

  /** The pool, with the commits whose number (from 0) is in `held` waiting for that promise first. */
  const gatedPool = () => {
    const held = new Map<number, Promise<void>>();
    const counter = { started: 0 };
    const gated = {
      query: async (query: pg.QueryConfig) => {
        await held.get(counter.started++);
        return pool.query(query);
      },
    } as unknown as pg.Pool;
    return { gated, held, counter };
  };

  it('starts another commit for requests that waited part of a commit, while one is in flight', async () => {
    const { gated, held, counter } = gatedPool();
    const writer = new StagingWriter(gated, { maxConcurrentCommits: 2, overlapAfter: 0.5 });
    await writer.stage({ protocol: 'osmand', positions: fixes(0, 1) }); // commit 0: the first duration
    let release!: () => void;
    held.set(1, new Promise<void>((resolve) => (release = resolve)));
    let firstResolved = false;
    const first = writer.stage({ protocol: 'osmand', positions: fixes(0, 1) }).then((r) => {
      firstResolved = true;
      return r;
    });
    // Commit 1 is held; these two wait, then share commit 2, which ends while commit 1 is in flight
    // (with only a full row starting another commit, they would wait for commit 1 forever).
    const later = await Promise.all(
      [fixes(1, 1), fixes(2, 2)].map((positions) => writer.stage({ protocol: 'osmand', positions })),
    );
    expect(counter.started).toBe(3);
    expect(firstResolved).toBe(false);
    expect(new Set(later.map((r) => r.staged.id)).size).toBe(1);
    expect(later.map((r) => r.lead)).toEqual([true, false]);
    // Committed when they resolved: another connection sees their row.
    expect((await row(later[0].staged.id)).position_count).toBe(3);

    release();
    const alone = await first;
    expect(alone.lead).toBe(true);
    expect(alone.staged.id).not.toBe(later[0].staged.id);
    expect((await row(alone.staged.id)).position_count).toBe(1);
  });

  it('resolves no request before the commit holding it, however the commits overlap', async () => {
    const { gated, held, counter } = gatedPool();
    const writer = new StagingWriter(gated, { maxConcurrentCommits: 2, overlapAfter: 0 });
    await writer.stage({ protocol: 'osmand', positions: fixes(0, 1) });
    // Commit 1 (the first request) held; the second starts commit 2 at once, the rest share commit 3.
    let release!: () => void;
    held.set(1, new Promise<void>((resolve) => (release = resolve)));
    const resolved = new Set<number>();
    const staged = Array.from({ length: 6 }, (_, i) =>
      writer.stage({ protocol: 'osmand', positions: fixes(i % 3, 1) }).then(async (r) => {
        resolved.add(i);
        // Committed before it resolves: visible to another connection.
        expect(await row(r.staged.id)).toBeDefined();
        return r;
      }),
    );
    const results = await Promise.all(staged.slice(1));
    expect(counter.started).toBe(4);
    expect(resolved.has(0)).toBe(false);
    release();
    const all = [await staged[0], ...results];
    expect(all.map((r) => r.staged.count)).toEqual([1, 1, 4, 4, 4, 4]);
    // One row per commit, each announced once.
    const byRow = new Map<string, boolean[]>();
    for (const r of all) byRow.set(r.staged.id, [...(byRow.get(r.staged.id) ?? []), r.lead]);
    for (const leads of byRow.values()) expect(leads.filter(Boolean)).toHaveLength(1);
    expect([...byRow.values()].reduce((n, leads) => n + leads.length, 0)).toBe(6);
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
