import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { decodeOsmAnd, teltonika, type RawFix } from '@fleet/ingest';
import { TeltonikaDevice } from '@fleet/ingest/testing';
import { createLogger } from '@fleet/logging-json';
import { publishStaged, stageBatch, type NormalizedPosition, type Staged } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadWorkerConfig } from '../config';
import { start, type WorkerHandle } from '../server';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:worker-drivers:${process.pid}:`;

describe('automatic driver assignment in the worker', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let worker: WorkerHandle;
  let redis: Redis;
  let org: string;
  let ana: string;
  let bea: string;

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-drivers');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('D', 'd') RETURNING id")).rows[0].id;
    const driver = async (name: string, uniqueId: string) =>
      (
        await pool.query('INSERT INTO drivers (organization_id, name, unique_id) VALUES ($1, $2, $3) RETURNING id', [
          org,
          name,
          uniqueId,
        ])
      ).rows[0].id as string;
    // Ana's iButton as the Teltonika decoder writes it; Bea's card as Traccar Client sends it.
    ana = await driver('Ana', '01000000ABCDEF2D');
    bea = await driver('Bea', '00042');
    // A webhook that takes driver changes only: each new driver_changed is queued for it once.
    await pool.query(
      "INSERT INTO webhooks (organization_id, url, secret, event_types) VALUES ($1, 'https://hooks.invalid/x', 's', '{driver_changed}')",
      [org],
    );
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
        INGEST_BLOCK_MS: '100',
        REPLAY_INTERVAL_MS: '200',
        REPLAY_GRACE_MS: '300',
      }),
      { logger: quiet },
    );
  });

  afterAll(async () => {
    await worker?.stop();
    redis?.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  const vehicle = async (name: string) =>
    (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $3) RETURNING id',
        [org, name, `${name}-${Date.now()}`],
      )
    ).rows[0].id as string;

  const normalized = (vehicleId: string, fix: RawFix): NormalizedPosition => ({
    vehicleId,
    organizationId: org,
    ts: fix.ts!.getTime(),
    lat: fix.lat!,
    lon: fix.lon!,
    attributes: fix.attributes,
  });
  /** A fix as Traccar Client sends it (OsmAnd query string), decoded by the API's decoder. */
  const osmand = (vehicleId: string, ts: number, driverUniqueId?: string) =>
    normalized(
      vehicleId,
      decodeOsmAnd(
        {
          id: 'phone',
          lat: '40.4168',
          lon: '-3.7038',
          timestamp: String(ts),
          ...(driverUniqueId === undefined ? {} : { driverUniqueId }),
        },
        new Date(),
      ).fix,
    );
  /** Fixes as a Teltonika FMB sends them (Codec 8 with IO 78, iButton), decoded by the gateway's decoder. */
  const teltonikaFixes = (vehicleId: string, records: Array<{ ts: number; ibutton: bigint }>) => {
    const session = teltonika.createSession();
    const device = new TeltonikaDevice('356307042441013');
    session.push(device.handshake());
    const [message] = session.push(
      device.packet(
        records.map((r) => ({ ts: r.ts, lat: 40.42, lon: -3.7, io: { 78: { bytes: 8, value: r.ibutton } } })),
      ),
    );
    if (message?.type !== 'positions') throw new Error('no positions decoded');
    return message.fixes.map((f) => normalized(vehicleId, f));
  };

  const send = async (positions: NormalizedPosition[]): Promise<Staged> => {
    const staged = await stageBatch(pool, { protocol: 'test', positions });
    await publishStaged(redis, staged, { names: worker.names, maxLen: 10_000 });
    return staged;
  };
  const processed = async (ids: string[]) =>
    Number(
      (
        await pool.query(
          'SELECT count(*) AS n FROM ingest_staging WHERE id = ANY($1::bigint[]) AND processed_at IS NOT NULL',
          [ids],
        )
      ).rows[0].n,
    ) === ids.length;
  const deliver = async (positions: NormalizedPosition[]) => {
    const staged = await send(positions);
    await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'request processed' });
    return staged;
  };
  const assignments = async (vehicleId: string) =>
    (
      await pool.query<{ driver_id: string; started_at: Date; ended_at: Date | null; source: string }>(
        'SELECT driver_id, started_at, ended_at, source FROM driver_assignments WHERE vehicle_id = $1 ORDER BY started_at',
        [vehicleId],
      )
    ).rows.map((a) => [a.driver_id, a.started_at.getTime(), a.ended_at?.getTime() ?? null, a.source]);
  const driverEvents = async (vehicleId: string) =>
    (
      await pool.query<{ ts: Date; subject_id: string; attributes: Record<string, unknown> }>(
        "SELECT ts, subject_id, attributes FROM events WHERE vehicle_id = $1 AND type = 'driver_changed' ORDER BY ts",
        [vehicleId],
      )
    ).rows.map((e) => [e.ts.getTime(), e.subject_id, e.attributes['from'], e.attributes['to']]);

  it('assigns the driver of a Teltonika iButton, then the one of an OsmAnd card: driver_changed once each, also after redelivery and replay', async () => {
    const v = await vehicle('van');
    const base = Date.now() - 600_000;
    const first = await deliver(
      teltonikaFixes(v, [
        { ts: base, ibutton: 0x2defcdab00000001n },
        { ts: base + 10_000, ibutton: 0x2defcdab00000001n },
      ]),
    );
    expect(await assignments(v)).toEqual([[ana, base + 10_000, null, 'auto']]);
    expect(await driverEvents(v)).toEqual([[base + 10_000, ana, null, ana]]);
    const { rows } = await pool.query(
      "SELECT attributes FROM events WHERE vehicle_id = $1 AND type = 'driver_changed'",
      [v],
    );
    expect(rows[0].attributes).toMatchObject({ toName: 'Ana', fromName: null, driverUniqueId: '01000000ABCDEF2D' });

    // The same driver again: nothing changes.
    await deliver(teltonikaFixes(v, [{ ts: base + 20_000, ibutton: 0x2defcdab00000001n }]));
    const second = await deliver([osmand(v, base + 30_000, '00042')]);
    const expected = [
      [ana, base + 10_000, base + 30_000, 'auto'],
      [bea, base + 30_000, null, 'auto'],
    ];
    expect(await assignments(v)).toEqual(expected);
    expect(await driverEvents(v)).toEqual([
      [base + 10_000, ana, null, ana],
      [base + 30_000, bea, ana, bea],
    ]);

    // Redelivered through the stream twice, and replayed from staging (rows marked unprocessed).
    for (let i = 0; i < 2; i++) {
      await publishStaged(redis, second, { names: worker.names, maxLen: 10_000 });
      await publishStaged(redis, first, { names: worker.names, maxLen: 10_000 });
    }
    await pool.query('UPDATE ingest_staging SET processed_at = NULL WHERE id = ANY($1::bigint[])', [
      [first.id, second.id],
    ]);
    await waitFor(async () => processed([first.id, second.id]), { timeoutMs: 15_000, what: 'replayed and processed' });
    await waitFor(async () => (await redis.xpending(worker.names.stream, worker.names.group))[0] === 0, {
      timeoutMs: 10_000,
      what: 'stream drained',
    });
    expect(await assignments(v)).toEqual(expected);
    expect(await driverEvents(v)).toEqual([
      [base + 10_000, ana, null, ana],
      [base + 30_000, bea, ana, bea],
    ]);
    const deliveries = await pool.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        WHERE e.vehicle_id = $1 AND e.type = 'driver_changed'`,
      [v],
    );
    expect(deliveries.rows[0].n).toBe(2);
  });

  it('a late buffered fix with the previous driver does not flip the driver back', async () => {
    const v = await vehicle('late');
    const base = Date.now() - 600_000;
    await deliver([osmand(v, base, '01000000ABCDEF2D')]);
    await deliver([osmand(v, base + 60_000, '00042')]);
    // Ana's key in a fix from the tracker's buffer, between the two.
    await deliver([osmand(v, base + 30_000, '01000000ABCDEF2D')]);
    // And a batch whose newest fix carries nobody's key: older keys in it do not count either.
    await deliver([osmand(v, base + 70_000, '01000000ABCDEF2D'), osmand(v, base + 80_000)]);
    expect(await assignments(v)).toEqual([
      [ana, base, base + 60_000, 'auto'],
      [bea, base + 60_000, null, 'auto'],
    ]);
    expect((await driverEvents(v)).map((e) => e[1])).toEqual([ana, bea]);
  });

  it('keeps an unknown identifier on the fix, counts it and assigns nobody', async () => {
    const v = await vehicle('unknown');
    const base = Date.now() - 600_000;
    const before = await unknownCount();
    await deliver([osmand(v, base, 'NOBODY-99')]);
    expect(await assignments(v)).toEqual([]);
    expect(await driverEvents(v)).toEqual([]);
    const stored = await pool.query('SELECT attributes FROM positions WHERE vehicle_id = $1', [v]);
    expect(stored.rows[0].attributes).toMatchObject({ driverUniqueId: 'NOBODY-99' });
    expect(await unknownCount()).toBe(before + 1);

    // A manual assignment stays when an unknown card is read later.
    await pool.query(
      "INSERT INTO driver_assignments (organization_id, vehicle_id, driver_id, started_at, source) VALUES ($1, $2, $3, $4, 'manual')",
      [org, v, bea, new Date(base + 1_000)],
    );
    await deliver([osmand(v, base + 5_000, 'NOBODY-99')]);
    expect(await assignments(v)).toEqual([[bea, base + 1_000, null, 'manual']]);
    // A known one after the manual assignment takes over.
    await deliver([osmand(v, base + 9_000, '01000000ABCDEF2D')]);
    expect(await assignments(v)).toEqual([
      [bea, base + 1_000, base + 9_000, 'manual'],
      [ana, base + 9_000, null, 'auto'],
    ]);
    expect(await driverEvents(v)).toEqual([[base + 9_000, ana, bea, ana]]);
  });

  const unknownCount = async () => {
    const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    const line = text.split('\n').find((l) => /^driver_unknown_identifiers_total(\{[^}]*\})? /.test(l));
    return Number(line?.split(' ').pop() ?? 0);
  };
});
