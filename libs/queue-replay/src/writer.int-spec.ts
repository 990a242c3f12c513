import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { stageBatch, type Staged } from './staging';
import { listDeadLetters, replayDeadLetters } from './replay';
import type { NormalizedPosition } from './types';
import { lockVehicleForDelete, writeBatch, type InBetweenFix, type InsertedPosition, type WriteItem } from './writer';

describe('writeBatch against PostgreSQL', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let org: string;
  let seq = 0;

  beforeAll(async () => {
    testDb = await createTestDatabase('queue-writer');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    org = (await pool.query<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('W', 'w') RETURNING id"))
      .rows[0].id;
  });
  afterAll(async () => {
    await pool?.end();
    await testDb?.drop();
  });

  const newVehicle = async () =>
    (
      await pool.query<{ id: string }>(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van', $2) RETURNING id",
        [org, `dev-${++seq}`],
      )
    ).rows[0].id;
  const base = Date.UTC(2026, 10, 20, 8);
  const fix = (vehicleId: string, i: number, extra: Partial<NormalizedPosition> = {}): NormalizedPosition => ({
    vehicleId,
    organizationId: org,
    ts: base + i * 1000,
    lat: 40 + i / 1e5,
    lon: -3.7,
    speedKmh: 30,
    ...extra,
  });
  const stage = (positions: NormalizedPosition[], protocol = 'test') => stageBatch(pool, { protocol, positions });
  const item = (s: Staged): WriteItem => ({ stagingId: s.id, payload: s.payload, count: s.count });
  const stored = async (vehicleId: string) =>
    Number((await pool.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1', [vehicleId])).rows[0].n);
  const deadLettersOf = async (stagingIds: string[]) =>
    (
      await pool.query<{ staging_id: string; vehicle_id: string | null; ts: Date | null; reason: string; fix: string }>(
        'SELECT staging_id::text, vehicle_id, ts, reason, fix::text FROM ingest_dead_letters WHERE staging_id = ANY($1::bigint[]) ORDER BY id',
        [stagingIds],
      )
    ).rows;
  const processed = async (stagingIds: string[]) =>
    Number(
      (
        await pool.query(
          'SELECT count(*) AS n FROM ingest_staging WHERE id = ANY($1::bigint[]) AND processed_at IS NOT NULL',
          [stagingIds],
        )
      ).rows[0].n,
    );

  describe('poison isolation', () => {
    it('stores 999 fixes of a 1,000-fix batch with one speed real cannot hold, and dead-letters exactly that one', async () => {
      const v = await newVehicle();
      const positions = Array.from({ length: 1000 }, (_, i) => fix(v, i, i === 537 ? { speedKmh: 1e-50 } : {}));
      const s = await stage(positions, 'fleet-json');
      const result = await writeBatch(pool, [item(s)]);
      expect(result).toMatchObject({ received: 1000, stored: 999, duplicates: 0, replaced: 0 });
      expect(await stored(v)).toBe(999);
      const dead = await deadLettersOf([s.id]);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ staging_id: s.id, vehicle_id: v });
      expect(dead[0].ts!.getTime()).toBe(base + 537_000);
      expect(dead[0].reason).toMatch(/out of range/);
      expect(JSON.parse(dead[0].fix)).toMatchObject({ v: 2, p: 'fleet-json', ts: [base + 537_000], spd: [1e-50] });
      expect(result.deadLetters.map((d) => d.code)).toEqual(['numeric_value_out_of_range']);
      expect(await processed([s.id])).toBe(1);
      const missing = await pool.query('SELECT 1 FROM positions WHERE vehicle_id = $1 AND ts = $2', [
        v,
        new Date(base + 537_000),
      ]);
      expect(missing.rowCount).toBe(0);
    });

    it.each([
      ['altitude 1e300', { altitude: 1e300 }],
      ['accuracy 1e39', { accuracy: 1e39 }],
      ['a NUL in an attribute value', { attributes: { note: 'a\u0000b' } }],
      ['a NUL in an attribute key', { attributes: { ['k\u0000']: 1 } }],
      ['a lone surrogate in an attribute', { attributes: { note: 'x\ud800' } }],
      ['a lone surrogate nested deep in attributes', { attributes: { a: { b: ['\udc00'] } } }],
    ])('isolates %s across several requests: everything else of the batch is stored', async (_, poison) => {
      const v = await newVehicle();
      const w = await newVehicle();
      const staged = [
        await stage(Array.from({ length: 40 }, (_, i) => fix(v, i))),
        await stage(Array.from({ length: 40 }, (_, i) => fix(v, 100 + i, i === 17 ? poison : {}))),
        await stage(Array.from({ length: 40 }, (_, i) => fix(w, i, { attributes: { ok: 'é' } }))),
        await stage(Array.from({ length: 3 }, (_, i) => fix(w, 100 + i, i === 2 ? poison : {}))),
      ];
      const result = await writeBatch(pool, staged.map(item));
      expect(result).toMatchObject({ received: 123, stored: 121, duplicates: 0 });
      expect(await stored(v)).toBe(79);
      expect(await stored(w)).toBe(42);
      const dead = await deadLettersOf(staged.map((s) => s.id));
      expect(dead.map((d) => [d.staging_id, d.ts!.getTime()])).toEqual([
        [staged[1].id, base + 117_000],
        [staged[3].id, base + 102_000],
      ]);
      expect(await processed(staged.map((s) => s.id))).toBe(4);
    });

    it('does not dead-letter the poison of a request twice when it is delivered again', async () => {
      const v = await newVehicle();
      const s = await stage([fix(v, 1), fix(v, 2, { attributes: { note: 'a\u0000' } }), fix(v, 3)]);
      await writeBatch(pool, [item(s)]);
      const again = await writeBatch(pool, [item(s)]);
      expect(again).toMatchObject({ stored: 0, duplicates: 2 });
      expect(await deadLettersOf([s.id])).toHaveLength(1);
    });

    it('dead-letters a fix whose vehicle id is not a uuid, with a null vehicle_id and the reason', async () => {
      const v = await newVehicle();
      const s = await stage([fix(v, 1), fix('not-a-uuid', 2), fix(v, 3)]);
      const result = await writeBatch(pool, [item(s)]);
      expect(result.stored).toBe(2);
      const dead = await deadLettersOf([s.id]);
      expect(dead).toEqual([expect.objectContaining({ vehicle_id: null, reason: expect.stringMatching(/uuid/) })]);
    });

    it('replays dead letters after the cause is fixed, and leaves those still refused', async () => {
      const v = await newVehicle();
      // A constraint stands for whatever refused the fix (a column too narrow, a bad check) until fixed.
      await pool.query('ALTER TABLE positions ADD CONSTRAINT test_speed_limit CHECK (speed_kmh < 500)');
      let s: Staged;
      try {
        s = await stage([fix(v, 1), fix(v, 2, { speedKmh: 900 }), fix(v, 3, { speedKmh: 1e-50 }), fix(v, 4)]);
        const result = await writeBatch(pool, [item(s)]);
        expect(result.stored).toBe(2);
        expect(result.deadLetters).toHaveLength(2);
      } finally {
        await pool.query('ALTER TABLE positions DROP CONSTRAINT test_speed_limit');
      }
      const pending = (await listDeadLetters(pool)).filter((d) => d.stagingId === s.id);
      expect(pending.map((d) => d.reason)).toEqual([
        expect.stringMatching(/test_speed_limit/),
        expect.stringMatching(/out of range/),
      ]);
      const seen: InsertedPosition[] = [];
      const replay = await replayDeadLetters(pool, {
        onInserted: async (_client, rows) => {
          seen.push(...rows);
        },
      });
      expect(replay.replayed).toBeGreaterThanOrEqual(1);
      expect(await stored(v)).toBe(3);
      expect(seen.filter((r) => r.vehicleId === v).map((r) => [r.ts, r.speedKmh])).toEqual([[base + 2000, 900]]);
      const after = (await listDeadLetters(pool, { all: true })).filter((d) => d.stagingId === s.id);
      expect(after.map((d) => d.replayedAt !== null)).toEqual([true, false]);
      // Replaying again changes nothing: the stored one is not pending any more, the other still fails.
      const again = await replayDeadLetters(pool);
      expect(again.replayed).toBe(0);
      expect(await stored(v)).toBe(3);
    });

    it('commits without waiting for the WAL flush (its staging rows are the durable record), and only itself', async () => {
      const v = await newVehicle();
      const s = await stage([fix(v, 1)]);
      const result = await writeBatch(pool, [item(s)], {
        onInserted: async (client) =>
          (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0].synchronous_commit,
      });
      expect(result.hook).toBe('off');
      // SET LOCAL: the pooled connection is back to the durable default afterwards.
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      try {
        for (const c of clients)
          expect((await c.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
      } finally {
        for (const c of clients) c.release();
      }
    });

    it('fails the whole write, storing nothing, when the failure is not the data’s (the hook failing)', async () => {
      const v = await newVehicle();
      const s = await stage([fix(v, 1), fix(v, 2)]);
      await expect(
        writeBatch(pool, [item(s)], {
          onInserted: async () => {
            throw new Error('detector bug');
          },
        }),
      ).rejects.toThrow('detector bug');
      expect(await stored(v)).toBe(0);
      expect(await processed([s.id])).toBe(0);
      expect(await deadLettersOf([s.id])).toEqual([]);
    });
  });

  describe('what the hook is given', () => {
    /** Writes with a hook that keeps what it is given. */
    const written = async (items: WriteItem[]) => {
      const seen = { inserted: [] as InsertedPosition[], between: [] as InBetweenFix[] };
      const result = await writeBatch(pool, items, {
        onInserted: async (_client, inserted, between) => {
          seen.inserted.push(...inserted);
          seen.between.push(...between);
        },
      });
      return { result, ...seen };
    };
    const tsOf = (rows: Array<{ vehicleId: string; ts: number }>, vehicleId: string) =>
      rows
        .filter((r) => r.vehicleId === vehicleId)
        .map((r) => (r.ts - base) / 1000)
        .sort((a, b) => a - b);

    it('gives every fix in full for a vehicle with rules; the ends in full and the rest compactly for one without', async () => {
      const plain = await newVehicle();
      const ruled = await newVehicle();
      await pool.query('UPDATE vehicles SET speed_limit_kmh = 90 WHERE id = $1', [ruled]);
      const attrs = (i: number) => ({ ignition: i % 2 === 0, odometer: 1000 + i, io239: 1 });
      const positions = [
        ...Array.from({ length: 6 }, (_, i) => fix(plain, i, i === 4 ? {} : { attributes: attrs(i) })),
        // Two fixes sharing a timestamp: the better one (more accurate) is the one written and given.
        fix(plain, 2, { accuracy: 50, lat: 41, attributes: { ignition: false, odometer: 1 } }),
        ...Array.from({ length: 4 }, (_, i) => fix(ruled, i, { attributes: attrs(i) })),
      ];
      positions[2] = { ...positions[2], accuracy: 5 };
      const { result, inserted, between } = await written([item(await stage(positions))]);
      expect(result).toMatchObject({ stored: 10, duplicates: 1 });
      expect(tsOf(inserted, ruled)).toEqual([0, 1, 2, 3]);
      expect(tsOf(between, ruled)).toEqual([]);
      expect(tsOf(inserted, plain)).toEqual([0, 5]);
      expect(between.filter((f) => f.vehicleId === plain).sort((a, b) => a.ts - b.ts)).toEqual(
        [1, 2, 3, 4].map((i) => ({
          vehicleId: plain,
          ts: base + i * 1000,
          lat: 40 + i / 1e5,
          lon: -3.7,
          ignition: i === 4 ? null : i % 2 === 0,
          odometer: i === 4 ? null : 1000 + i,
          replaced: false,
        })),
      );
      // The other callers' rows are as before: full attributes, in time order.
      expect(inserted.find((p) => p.vehicleId === plain && p.ts === base)?.attributes).toEqual(attrs(0));

      // A better fix replacing a stored one between the batch's ends is given as replaced.
      const again = await written([
        item(await stage([fix(plain, -1), fix(plain, 3, { accuracy: 1, attributes: attrs(3) }), fix(plain, 9)])),
      ]);
      expect(again.result).toMatchObject({ stored: 2, replaced: 1 });
      expect(tsOf(again.inserted, plain)).toEqual([-1, 9]);
      expect(again.between).toEqual([expect.objectContaining({ vehicleId: plain, ts: base + 3000, replaced: true })]);
    });

    it('gives every fix once when the batch was bisected around a poison fix', async () => {
      const v = await newVehicle();
      const positions = Array.from({ length: 20 }, (_, i) =>
        fix(v, i, i === 13 ? { speedKmh: 1e-50 } : { attributes: { ignition: true } }),
      );
      const { result, inserted, between } = await written([item(await stage(positions))]);
      expect(result).toMatchObject({ stored: 19 });
      const all = [...tsOf(inserted, v), ...tsOf(between, v)].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 13));
      expect(tsOf(inserted, v)[0]).toBe(0);
      expect(between.length).toBeGreaterThan(0);
      expect(between.every((f) => f.ignition === true && !f.replaced)).toBe(true);
    });
  });

  describe('the same-timestamp rule', () => {
    const t = 50;
    const rowOf = async (vehicleId: string) =>
      (
        await pool.query(
          `SELECT ST_Y(point) AS lat, accuracy, speed_kmh, attributes, protocol FROM positions WHERE vehicle_id = $1 AND ts = $2`,
          [vehicleId, new Date(base + t * 1000)],
        )
      ).rows;
    const stateOf = async (vehicleId: string) =>
      (
        await pool.query('SELECT ST_Y(point) AS lat, accuracy, attributes FROM vehicle_state WHERE vehicle_id = $1', [
          vehicleId,
        ])
      ).rows[0];

    // Pairs (worse, better) of fixes sharing a timestamp, each deciding on one key of the rule.
    const cases: Array<[string, Partial<NormalizedPosition>, Partial<NormalizedPosition>]> = [
      ['lower accuracy wins', { accuracy: 30, lat: 40.1 }, { accuracy: 5, lat: 40.2 }],
      ['a known accuracy beats an unknown one', { lat: 40.1, attributes: { a: 1, b: 2 } }, { accuracy: 50, lat: 40.2 }],
      ['more attributes win', { accuracy: 5, attributes: { a: 1 } }, { accuracy: 5, attributes: { a: 1, conn: 'w' } }],
      ['more measurements win', { lat: 40.1, speedKmh: undefined }, { lat: 40.3, heading: 90 }],
      ['then the content decides', { lat: 40.3 }, { lat: 40.2 }],
    ];

    it.each(cases)('%s, whatever the arrival order, across batches and within one', async (_, worse, better) => {
      const outcomes = [];
      for (const order of ['worse first', 'better first', 'same batch', 'same batch reversed'] as const) {
        const v = await newVehicle();
        const a = fix(v, t, worse);
        const b = fix(v, t, better);
        if (order === 'worse first' || order === 'better first') {
          const [first, second] = order === 'worse first' ? [a, b] : [b, a];
          const r1 = await writeBatch(pool, [item(await stage([first]))]);
          const r2 = await writeBatch(pool, [item(await stage([second]))], { onInserted: async () => undefined });
          expect(r1.stored).toBe(1);
          if (order === 'worse first') {
            expect(r2).toMatchObject({ stored: 0, replaced: 1, duplicates: 0 });
            expect(r2.inserted).toEqual([
              expect.objectContaining({ vehicleId: v, ts: base + t * 1000, replaced: true }),
            ]);
          } else {
            expect(r2).toMatchObject({ stored: 0, replaced: 0, duplicates: 1, inserted: [] });
          }
        } else {
          const pair = order === 'same batch' ? [a, b] : [b, a];
          const r = await writeBatch(pool, [item(await stage(pair))], { onInserted: async () => undefined });
          expect(r).toMatchObject({ received: 2, stored: 1, replaced: 0, duplicates: 1 });
          expect(r.inserted).toEqual([expect.objectContaining({ replaced: false })]);
        }
        const rows = await rowOf(v);
        expect(rows).toHaveLength(1);
        outcomes.push({ row: rows[0], state: await stateOf(v) });
      }
      // One outcome whatever the order, and it is the better fix, in positions and vehicle_state alike.
      for (const o of outcomes) expect(o).toEqual(outcomes[0]);
      expect(outcomes[0].row.lat).toBeCloseTo(better.lat ?? 40 + t / 1e5, 10);
      expect(outcomes[0].state.lat).toBeCloseTo(outcomes[0].row.lat, 10);
    });

    it('applies the rule to two fixes in different staged requests of one write (the uniqueness check spans requests)', async () => {
      const v = await newVehicle();
      const other = await newVehicle();
      const worse = await stage([fix(v, t, { accuracy: 40 }), fix(other, t)]);
      const better = await stage([fix(v, t, { accuracy: 4 }), fix(other, t + 1)]);
      const r = await writeBatch(pool, [item(worse), item(better)], { onInserted: async () => undefined });
      expect(r).toMatchObject({ received: 4, stored: 3, replaced: 0, duplicates: 1 });
      expect((await rowOf(v))[0].accuracy).toBe(4);
      // The same vehicle id in another letter case is the same vehicle.
      const upper = await stage([fix(v.toUpperCase(), t, { accuracy: 1 })]);
      const again = await writeBatch(pool, [item(await stage([fix(v, t, { accuracy: 2 })])), item(upper)]);
      expect(again).toMatchObject({ received: 2, stored: 0, replaced: 1, duplicates: 1 });
      expect((await rowOf(v))[0].accuracy).toBe(1);
    });

    it('decides by the full statement when a payload laid out unlike the codec fools the uniqueness check', async () => {
      const v = await newVehicle();
      // Keys in another order than encodeBatch writes them: an attribute's "ts" list comes first and
      // reads as two distinct timestamps, while the batch's own fixes share one.
      const at = base + t * 1000;
      const payload = JSON.stringify({
        v: 2,
        p: 'test',
        veh: [v],
        org: [org],
        att: [{ ts: [1, 2] }, { ts: [1, 2], more: 1 }],
        acc: [9, 3],
        ts: [at, at],
        lat: [40.1, 40.2],
        lon: [-3.7, -3.7],
      });
      const s = (
        await pool.query<{ id: string }>(
          `INSERT INTO ingest_staging (protocol, payload, position_count) VALUES ('test', $1, 2) RETURNING id::text`,
          [payload],
        )
      ).rows[0];
      const r = await writeBatch(pool, [{ stagingId: s.id, payload, count: 2 }], { onInserted: async () => undefined });
      expect(r).toMatchObject({ received: 2, stored: 1, replaced: 0, duplicates: 1, deadLetters: [] });
      expect((await rowOf(v))[0]).toMatchObject({ accuracy: 3, attributes: { ts: [1, 2], more: 1 } });
      expect(await processed([s.id])).toBe(1);
    });

    it('counts an identical redelivery as a duplicate, never a replacement', async () => {
      const v = await newVehicle();
      const s = await stage([fix(v, 1, { accuracy: 3, attributes: { a: 1 } }), fix(v, 2)]);
      await writeBatch(pool, [item(s)]);
      const again = await writeBatch(pool, [item(s)], { onInserted: async () => undefined });
      expect(again).toMatchObject({ received: 2, stored: 0, replaced: 0, duplicates: 2, inserted: [] });
    });

    it('applies the rule inside a bisected batch too (the two fixes in different requests)', async () => {
      const v = await newVehicle();
      const worse = await stage([fix(v, t, { accuracy: 40 }), fix(v, t + 1, { speedKmh: 1e-50 })]);
      const better = await stage([fix(v, t, { accuracy: 4 })]);
      const r = await writeBatch(pool, [item(better), item(worse)], { onInserted: async () => undefined });
      expect(r).toMatchObject({ received: 3, stored: 1, replaced: 0, duplicates: 1 });
      expect(r.deadLetters).toHaveLength(1);
      expect((await rowOf(v))[0].accuracy).toBe(4);
      expect(r.inserted.filter((p) => p.ts === base + t * 1000)).toEqual([
        expect.objectContaining({ accuracy: 4, replaced: false }),
      ]);
    });
  });

  it('drops and counts fixes of a vehicle deleted while they were in flight', async () => {
    const v = await newVehicle();
    const kept = await newVehicle();
    const s = await stage([fix(v, 1), fix(v, 2), fix(kept, 1)]);
    await pool.query('DELETE FROM vehicles WHERE id = $1', [v]);
    const r = await writeBatch(pool, [item(s)], { onInserted: async () => undefined });
    expect(r).toMatchObject({ received: 3, stored: 1, droppedVehicleDeleted: 2, duplicates: 0 });
    expect(await stored(v)).toBe(0);
    expect(await stored(kept)).toBe(1);
    expect(r.inserted.map((p) => p.vehicleId)).toEqual([kept]);
    expect(await processed([s.id])).toBe(1);
  });

  /** Deletes a vehicle as the API does (lock, positions, vehicle), holding the transaction until `release`. */
  async function deleteVehicle(vehicleId: string, release?: Promise<void>) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await lockVehicleForDelete(client, vehicleId);
      await client.query('DELETE FROM positions WHERE vehicle_id = $1', [vehicleId]);
      await client.query('DELETE FROM vehicles WHERE id = $1', [vehicleId]);
      await release;
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  it('leaves no fix of a vehicle deleted while its write is running (the deletion waits for it)', async () => {
    const v = await newVehicle();
    const s = await stage([fix(v, 1), fix(v, 2)]);
    let hookReached!: () => void;
    const inHook = new Promise<void>((resolve) => (hookReached = resolve));
    let finishHook!: () => void;
    const hookDone = new Promise<void>((resolve) => (finishHook = resolve));
    // The write has inserted its rows and sits in its hook, uncommitted, when the deletion starts.
    const write = writeBatch(pool, [item(s)], {
      onInserted: async () => {
        hookReached();
        await hookDone;
      },
    });
    await inHook;
    const deletion = deleteVehicle(v);
    await new Promise((resolve) => setTimeout(resolve, 200));
    finishHook();
    const r = await write;
    await deletion;
    expect(r.stored).toBe(2);
    expect(await stored(v)).toBe(0);
  });

  it('drops the fixes of a write that starts while the vehicle is being deleted', async () => {
    const v = await newVehicle();
    const s = await stage([fix(v, 1), fix(v, 2)]);
    let commit!: () => void;
    const deletion = deleteVehicle(v, new Promise<void>((resolve) => (commit = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const write = writeBatch(pool, [item(s)], { onInserted: async () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 200));
    commit();
    await deletion;
    const r = await write;
    expect(r).toMatchObject({ received: 2, stored: 0, droppedVehicleDeleted: 2 });
    expect(await stored(v)).toBe(0);
  });
});
