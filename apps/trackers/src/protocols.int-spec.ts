import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import {
  Gt06Device,
  H02Device,
  parseGt06Frames,
  parseH02Answers,
  TeltonikaDevice,
  type TeltonikaAnswer,
} from '@fleet/ingest/testing';
import { createLogger } from '@fleet/logging-json';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadTrackersConfig } from './config';
import { start, type TrackersHandle } from './server';
import { connectDevice, metricValue, type TestDevice } from './testing/device';
import { createTrackerFleet, stagedPositions, type TrackerVehicle } from './testing/fleet';

const quiet = createLogger({ service: 'trackers', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:trackers-protocols:${process.pid}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tracker gateway with the real protocols', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let gateway: TrackersHandle;
  let fleet: TrackerVehicle[];
  const imeis = [
    '356307042441013',
    '356307042441021',
    '356307042441039',
    '4209813000',
    '4209813001',
    '356307042441047',
    '868120145678901',
  ];

  beforeAll(async () => {
    testDb = await createTestDatabase('trackers-protocols');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    fleet = await createTrackerFleet(testDb.url, { slug: 'proto', imeis, disabled: ['356307042441039'] });
    gateway = await start(
      loadTrackersConfig({
        APP_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        TELTONIKA_PORT: '0',
        GT06_PORT: '0',
        H02_PORT: '0',
        TRACKER_WORKERS: '1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
      }),
      { logger: quiet },
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await pool?.end();
    await testDb?.drop();
  });

  const metrics = async () => (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  const teltonikaAnswers = (device: TeltonikaDevice, conn: TestDevice): TeltonikaAnswer[] =>
    device.receive(Buffer.from(conn.received(), 'latin1'));
  const minutesAgo = (m: number) => new Date(Math.floor((Date.now() - m * 60_000) / 1000) * 1000);

  describe('Teltonika', () => {
    it('accepts the IMEI handshake and acknowledges each AVL packet with its record count once staged', async () => {
      const vehicle = fleet[0];
      const device = new TeltonikaDevice(vehicle.imei);
      const conn = await connectDevice(gateway.ports.teltonika!);
      try {
        conn.send(device.handshake());
        await waitFor(() => conn.received().length >= 1, { timeoutMs: 5_000, what: 'handshake answer' });
        expect(teltonikaAnswers(device, conn)).toEqual([{ type: 'handshake', accepted: true }]);

        const records = [3, 2, 1].map((m, i) => ({
          ts: minutesAgo(m),
          lat: 54.68 + i / 100,
          lon: 25.28,
          speed: 40,
          io: { 239: 1 },
        }));
        const blocker = await pool.connect();
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
        conn.send(device.packet(records));
        await sleep(400);
        expect(conn.received().length).toBe(1); // no acknowledgement while nothing is committed
        await blocker.query('COMMIT');
        blocker.release();
        await waitFor(() => conn.received().length >= 5, { timeoutMs: 5_000, what: 'the acknowledgement' });
        expect(device.receive(Buffer.from(conn.received().slice(1), 'latin1'))).toEqual([{ type: 'ack', count: 3 }]);

        // Codec 8 Extended, on the same connection.
        const extended = { ts: minutesAgo(0.5), lat: 54.7, lon: 25.3, io: [[66, 12_500]] as Array<[number, number]> };
        conn.send(device.packet([extended], 'codec8e'));
        await waitFor(() => conn.received().length >= 9, { timeoutMs: 5_000, what: 'the second acknowledgement' });
        expect(device.receive(Buffer.from(conn.received().slice(5), 'latin1'))).toEqual([{ type: 'ack', count: 1 }]);

        const staged = await stagedPositions(testDb.url, vehicle.id, 'teltonika');
        expect(staged.map((p) => [p.ts, p.lat])).toEqual([
          ...records.map((r) => [r.ts.getTime(), r.lat]),
          [extended.ts.getTime(), 54.7],
        ]);
        expect(staged[0].attributes).toMatchObject({ ignition: true, io239: 1 });
        expect(staged[3].attributes).toMatchObject({ power: 12.5, io66: 12_500 });
      } finally {
        conn.end();
      }
    });

    it('does not acknowledge a packet with a bad CRC, and keeps the connection for the resend', async () => {
      const vehicle = fleet[1];
      const device = new TeltonikaDevice(vehicle.imei);
      const conn = await connectDevice(gateway.ports.teltonika!);
      try {
        conn.send(device.handshake());
        await waitFor(() => conn.received().length >= 1, { timeoutMs: 5_000, what: 'handshake answer' });
        const packet = device.packet([{ ts: minutesAgo(1), lat: 10, lon: 20 }]);
        const corrupt = Buffer.from(packet);
        corrupt[corrupt.length - 1] ^= 0xff;
        conn.send(corrupt);
        await sleep(300);
        expect(conn.received().length).toBe(1);
        expect(conn.isClosed()).toBe(false);
        conn.send(packet);
        await waitFor(() => conn.received().length >= 5, { timeoutMs: 5_000, what: 'the acknowledgement' });
        expect(await stagedPositions(testDb.url, vehicle.id, 'teltonika')).toHaveLength(1);
        expect(metricValue(await metrics(), 'tracker_frames_total', { protocol: 'teltonika', type: 'invalid' })).toBe(
          1,
        );
      } finally {
        conn.end();
      }
    });

    it('sends a queued command after the handshake (Codec 12) and stores the answer', async () => {
      const target = fleet[5];
      const queued = await pool.query<{ id: string }>(
        `INSERT INTO device_commands (organization_id, vehicle_id, text, expires_at)
         VALUES ($1, $2, 'getinfo', now() + interval '5 minutes') RETURNING id`,
        [target.organizationId, target.id],
      );
      const device = new TeltonikaDevice(target.imei);
      const conn = await connectDevice(gateway.ports.teltonika!);
      try {
        conn.send(device.handshake());
        // What the device reads: the handshake answer, then the command framed as Codec 12.
        const read = () => {
          const reader = new TeltonikaDevice(target.imei);
          reader.handshake();
          return reader.receive(Buffer.from(conn.received(), 'latin1'));
        };
        await waitFor(() => read().length === 2, { timeoutMs: 10_000, what: 'the command after the handshake' });
        expect(read()).toEqual([
          { type: 'handshake', accepted: true },
          { type: 'command', text: 'getinfo' },
        ]);
        conn.send(device.commandResponse('RTC:2026/12/6 GPS:1 SAT:9'));
        await waitFor(
          async () =>
            (await pool.query('SELECT status FROM device_commands WHERE id = $1', [queued.rows[0].id])).rows[0]
              .status === 'answered',
          { timeoutMs: 10_000, what: 'the answer stored' },
        );
        const row = await pool.query('SELECT response FROM device_commands WHERE id = $1', [queued.rows[0].id]);
        expect(row.rows[0].response).toBe('RTC:2026/12/6 GPS:1 SAT:9');
      } finally {
        conn.end();
      }
    });

    it('answers 00 to an unknown or disabled IMEI and closes', async () => {
      for (const imei of ['356307049999999', '356307042441039']) {
        const device = new TeltonikaDevice(imei);
        const conn = await connectDevice(gateway.ports.teltonika!);
        conn.send(device.handshake());
        await conn.closed();
        expect(teltonikaAnswers(device, conn)).toEqual([{ type: 'handshake', accepted: false }]);
      }
      await waitFor(
        async () =>
          metricValue(await metrics(), 'tracker_connections_closed_total', {
            protocol: 'teltonika',
            reason: 'disabled_device',
          }) === 1,
        { timeoutMs: 2_000, what: 'the disabled device counted' },
      );
      expect(
        metricValue(await metrics(), 'tracker_connections_closed_total', {
          protocol: 'teltonika',
          reason: 'unknown_device',
        }),
      ).toBe(1);
    });
  });

  describe('GT06', () => {
    it('answers the login and heartbeats with their serials, and acknowledges a fix once staged, keeping the re-upload flag', async () => {
      const vehicle = fleet[6];
      const device = new Gt06Device(vehicle.imei);
      const conn = await connectDevice(gateway.ports.gt06!);
      const frames = () => parseGt06Frames(Buffer.from(conn.received(), 'latin1'));
      try {
        const loginSerial = device.serial;
        conn.send(device.login());
        await waitFor(() => frames().length === 1, { timeoutMs: 5_000, what: 'the login answer' });
        expect(frames()[0]).toMatchObject({ protocol: 0x01, serial: loginSerial, crcOk: true });
        const heartbeatSerial = device.serial;
        conn.send(device.heartbeat({ ignition: true }));
        await waitFor(() => frames().length === 2, { timeoutMs: 5_000, what: 'the heartbeat answer' });
        expect(frames()[1]).toMatchObject({ protocol: 0x13, serial: heartbeatSerial });

        const blocker = await pool.connect();
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
        const ts = minutesAgo(90);
        const fixSerial = device.serial;
        conn.send(device.position({ ts, lat: -22.9068, lon: -43.1729, speedKmh: 30 }, { archive: true }));
        await sleep(400);
        expect(frames()).toHaveLength(2);
        await blocker.query('COMMIT');
        blocker.release();
        await waitFor(() => frames().length === 3, { timeoutMs: 5_000, what: 'the fix acknowledged' });
        expect(frames()[2]).toMatchObject({ protocol: 0x22, serial: fixSerial, crcOk: true });
        const [staged] = await stagedPositions(testDb.url, vehicle.id, 'gt06');
        expect(staged.ts).toBe(ts.getTime());
        expect(staged.lat).toBeCloseTo(-22.9068, 4);
        expect(staged.lon).toBeCloseTo(-43.1729, 4);
        expect(staged.attributes).toMatchObject({ archive: true });
      } finally {
        conn.end();
      }
    });

    it("takes the login's time zone off the GPS times: a device set to UTC−3 is stored at the right instant", async () => {
      const vehicle = fleet[6];
      const device = new Gt06Device(vehicle.imei, { zoneMinutes: -180 });
      const conn = await connectDevice(gateway.ports.gt06!);
      const frames = () => parseGt06Frames(Buffer.from(conn.received(), 'latin1'));
      try {
        conn.send(device.login());
        await waitFor(() => frames().length === 1, { timeoutMs: 5_000, what: 'the login answer' });
        const ts = minutesAgo(30);
        conn.send(device.position({ ts, lat: -34.6037, lon: -58.3816, speedKmh: 12 }));
        await waitFor(() => frames().length === 2, { timeoutMs: 5_000, what: 'the fix acknowledged' });
        const staged = (await stagedPositions(testDb.url, vehicle.id, 'gt06')).filter(
          (p) => Math.abs(p.lat + 34.6037) < 1e-4,
        );
        // the frame says 3 h earlier on the device's clock than this instant in UTC
        expect(staged.map((p) => p.ts)).toEqual([ts.getTime()]);
      } finally {
        conn.end();
      }
    });

    it('closes a connection that logs in with an unknown IMEI, or sends bytes that are no GT06 frame', async () => {
      const unknown = await connectDevice(gateway.ports.gt06!);
      unknown.send(new Gt06Device('868120149999999').login());
      await unknown.closed();
      expect(parseGt06Frames(Buffer.from(unknown.received(), 'latin1')).filter((f) => f.protocol === 0x01)).toEqual([]);
      const noise = await connectDevice(gateway.ports.gt06!);
      noise.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await noise.closed();
      await waitFor(
        async () =>
          metricValue(await metrics(), 'tracker_connections_closed_total', {
            protocol: 'gt06',
            reason: 'decode_error',
          }) === 1,
        { timeoutMs: 2_000, what: 'the decode error counted' },
      );
    });
  });

  describe('H02', () => {
    it('stages V1 fixes (southern and western hemispheres) and answers each only once it is committed', async () => {
      const vehicle = fleet[3];
      const device = new H02Device(vehicle.imei);
      const conn = await connectDevice(gateway.ports.h02!);
      try {
        conn.send(device.heartbeat('HTBT'));
        await conn.waitFor('HTBT');
        const blocker = await pool.connect();
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
        const ts = minutesAgo(2);
        conn.send(device.position({ ts, lat: -33.4489, lon: -70.6693, speedKmh: 50, heading: 90 }));
        await sleep(400);
        expect(parseH02Answers(Buffer.from(conn.received(), 'latin1')).map((a) => a.type)).toEqual(['HTBT']);
        await blocker.query('COMMIT');
        blocker.release();
        await conn.waitFor(/V4,V1,\d{14}#/);
        expect(parseH02Answers(Buffer.from(conn.received(), 'latin1')).map((a) => a.fields.slice(2, 4))).toEqual([
          ['HTBT'],
          ['V4', 'V1'],
        ]);
        const [staged] = await stagedPositions(testDb.url, vehicle.id, 'h02');
        expect(staged.ts).toBe(ts.getTime());
        expect(staged.lat).toBeCloseTo(-33.4489, 4);
        expect(staged.lon).toBeCloseTo(-70.6693, 4);
        expect(staged.speedKmh).toBeCloseTo(50, 0);
      } finally {
        conn.end();
      }
    });

    it('stages binary ($) frames, 32- and 45-byte ones and one split across packets, without answering them', async () => {
      const vehicle = fleet[3];
      const device = new H02Device(vehicle.imei);
      const conn = await connectDevice(gateway.ports.h02!);
      try {
        const records = [
          { ts: minutesAgo(6), lat: 48.8566, lon: 2.3522, speedKmh: 37, heading: 180, battery: 80 },
          { ts: minutesAgo(5), lat: -34.6037, lon: -58.3816, speedKmh: 0, heading: 0 },
          { ts: minutesAgo(4), lat: 35.6762, lon: 139.6503, speedKmh: 90, heading: 45, ignition: true },
        ];
        conn.send(Buffer.concat([device.binaryPosition(records[0]), device.binaryPosition(records[1], 'long')]));
        const third = device.binaryPosition(records[2]);
        conn.send(third.subarray(0, 20));
        conn.send(third.subarray(20));
        const times = new Set(records.map((r) => r.ts.getTime()));
        const staged = async () =>
          (await stagedPositions(testDb.url, vehicle.id, 'h02'))
            .filter((p) => times.has(p.ts))
            .sort((a, b) => a.ts - b.ts);
        await waitFor(async () => (await staged()).length === 3, { timeoutMs: 5_000, what: 'the binary fixes staged' });
        const rows = await staged();
        rows.forEach((row, i) => {
          expect(row.ts).toBe(records[i].ts.getTime());
          expect(row.lat).toBeCloseTo(records[i].lat, 4);
          expect(row.lon).toBeCloseTo(records[i].lon, 4);
          expect(Math.abs((row.speedKmh ?? 0) - records[i].speedKmh)).toBeLessThanOrEqual(1);
        });
        expect(rows[0].battery).toBe(80);
        expect(rows[2].attributes).toMatchObject({ ignition: true });
        expect(conn.received()).toBe('');
      } finally {
        conn.end();
      }
    });

    it('closes a connection whose sentences name an unknown device, without answering', async () => {
      const device = new H02Device('4209819999');
      const conn = await connectDevice(gateway.ports.h02!);
      conn.send(device.position({ ts: minutesAgo(1), lat: 1, lon: 1 }));
      await conn.closed();
      expect(conn.received()).toBe('');
    });
  });

  it('survives random, truncated and oversized bytes on every port, storing nothing from them', async () => {
    const before = Number((await pool.query('SELECT count(*) AS n FROM ingest_staging')).rows[0].n);
    // A seeded generator: the same bytes on every run.
    let seed = 0x2f6b3a1d;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const valid = {
      teltonika: new TeltonikaDevice('356307049990001').packet([{ ts: minutesAgo(1), lat: 1, lon: 1 }]),
      gt06: new Gt06Device('868120149990001').position({ ts: minutesAgo(1), lat: 1, lon: 1 }),
      h02: new H02Device('4209819990').position({ ts: minutesAgo(1), lat: 1, lon: 1 }),
    };
    for (const protocol of ['teltonika', 'gt06', 'h02'] as const) {
      for (let i = 0; i < 30; i++) {
        const conn = await connectDevice(gateway.ports[protocol]!);
        const kind = i % 3;
        if (kind === 0) conn.send(bytes(1 + Math.floor(random() * 4_000)));
        else if (kind === 1) conn.send(valid[protocol].subarray(0, Math.floor(random() * valid[protocol].length)));
        else conn.send(Buffer.concat([valid[protocol].subarray(0, 8), bytes(70_000)]));
        await sleep(5);
        conn.end();
      }
    }
    // Still serving: a real device is acknowledged as before.
    const device = new H02Device(fleet[4].imei);
    const conn = await connectDevice(gateway.ports.h02!);
    conn.send(device.position({ ts: minutesAgo(0.2), lat: 2, lon: 2 }));
    await conn.waitFor(/V4,V1/);
    conn.end();
    const after = Number((await pool.query('SELECT count(*) AS n FROM ingest_staging')).rows[0].n);
    expect(after - before).toBe(1);
  });
});
