import { vehicleStatus } from '@fleet/contracts';
import { destination, distanceM } from '@fleet/geo';
import { decodeBinaryCopy, windows } from '@fleet/reports';
import fc from 'fast-check';
import { AppError } from '../errors';
import { Gate } from './gate';
import { searchBox } from './nearest';
import { resolvePeriod } from './period';

const DAY = 86_400_000;

describe('resolvePeriod', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');

  it('defaults to the 24 hours before now', () => {
    expect(resolvePeriod({}, now)).toEqual({ from: new Date(now - DAY), to: new Date(now) });
    expect(resolvePeriod({ to: '2026-11-01T00:00:00Z' }, now).from.toISOString()).toBe('2026-10-31T00:00:00.000Z');
  });

  it('accepts exactly 31 days and refuses a millisecond more, naming `to`', () => {
    const to = '2026-11-28T00:00:00.000Z';
    expect(() => resolvePeriod({ from: '2026-10-28T00:00:00.000Z', to }, now)).not.toThrow();
    const err = (() => {
      try {
        resolvePeriod({ from: '2026-10-27T23:59:59.999Z', to }, now);
        return undefined;
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err?.status).toBe(400);
    expect(err?.details?.[0]?.path).toBe('to');
  });

  it('refuses an empty or reversed period, naming `from`', () => {
    for (const q of [
      { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' },
      { from: '2026-11-01T00:00:00Z', to: '2026-11-01T00:00:00Z' },
    ]) {
      expect(() => resolvePeriod(q, now)).toThrow(AppError);
      try {
        resolvePeriod(q, now);
      } catch (e) {
        expect((e as AppError).details?.[0]?.path).toBe('from');
      }
    }
  });
});

describe('windows', () => {
  const at = (h: number) => new Date(Date.parse('2026-11-01T00:00:00Z') + h * 3_600_000);

  it('reads a day, or a day and a second, in one window', () => {
    expect(windows({ from: at(0), to: at(24) })).toHaveLength(1);
    expect(windows({ from: at(0), to: new Date(at(24).getTime() + 1000) })).toHaveLength(1);
  });

  it('cuts longer periods into equal contiguous windows of at most 36 hours', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 31 * 24 * 3600 }), (seconds) => {
        const period = { from: at(0), to: new Date(at(0).getTime() + seconds * 1000) };
        const parts = windows(period);
        expect(parts[0]!.from).toEqual(period.from);
        expect(parts[parts.length - 1]!.to).toEqual(period.to);
        parts.forEach((w, i) => {
          expect(w.to.getTime() - w.from.getTime()).toBeLessThanOrEqual(36 * 3_600_000);
          expect(w.to.getTime()).toBeGreaterThan(w.from.getTime());
          if (i) expect(w.from).toEqual(parts[i - 1]!.to);
        });
        expect(parts.length).toBe(Math.max(1, Math.ceil(seconds / (36 * 3600))));
      }),
    );
  });
});

describe('searchBox (prefilter of the nearest query)', () => {
  it('holds every point within the radius, in any direction, anywhere on the globe', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -89.9, max: 89.9, noNaN: true }),
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.double({ min: 1, max: 2_000_000, noNaN: true }),
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (lat, lon, radius, bearing, fraction) => {
          const [west, south, east, north] = searchBox(lat, lon, radius);
          const p = destination({ lat, lon }, bearing, radius * fraction);
          expect(distanceM({ lat, lon }, p)).toBeLessThanOrEqual(radius * 1.000001 + 1e-6);
          expect(p.lat).toBeGreaterThanOrEqual(south);
          expect(p.lat).toBeLessThanOrEqual(north);
          expect(p.lon).toBeGreaterThanOrEqual(west);
          expect(p.lon).toBeLessThanOrEqual(east);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('decodeBinaryCopy', () => {
  interface Row {
    ts: number;
    lon: number;
    lat: number;
    speed: number | null;
    altitude?: number;
    battery?: number;
  }
  /** A float4 field: its length and big-endian value, or length -1 for NULL. */
  function real(v: number | null | undefined): Buffer {
    if (v === null || v === undefined) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const b = Buffer.alloc(8);
    b.writeInt32BE(4, 0);
    b.writeFloatBE(v, 4);
    return b;
  }
  // What PostgreSQL sends for
  // COPY (SELECT ts, point, speed_kmh, heading, accuracy, altitude, battery) TO STDOUT (FORMAT binary).
  function copyStream(rows: Row[]): Buffer {
    const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
    for (const r of rows) {
      const head = Buffer.alloc(2 + 4 + 8 + 4);
      head.writeInt16BE(7, 0);
      head.writeInt32BE(8, 2);
      head.writeBigInt64BE(BigInt(r.ts - Date.UTC(2000, 0, 1)) * 1000n, 6);
      head.writeInt32BE(25, 14);
      const wkb = Buffer.alloc(25);
      wkb.writeUInt8(1, 0); // little endian
      wkb.writeUInt32LE(0x20000001, 1); // point with SRID
      wkb.writeUInt32LE(4326, 5);
      wkb.writeDoubleLE(r.lon, 9);
      wkb.writeDoubleLE(r.lat, 17);
      // heading 270, accuracy NULL
      parts.push(head, wkb, real(r.speed), real(270), real(null), real(r.altitude), real(r.battery));
    }
    const trailer = Buffer.alloc(2);
    trailer.writeInt16BE(-1, 0);
    parts.push(trailer);
    return Buffer.concat(parts);
  }

  it('reads times to the millisecond, EWKB points and missing values as NaN', () => {
    const rows: Row[] = [
      { ts: Date.parse('2026-11-28T10:00:00.123Z'), lon: -3.7038, lat: 40.4168, speed: 42.5, altitude: 657.5 },
      { ts: Date.parse('1999-12-31T23:59:59.001Z'), lon: 179.9999999, lat: -89.5, speed: null, battery: 81 },
      { ts: Date.parse('2026-11-28T10:00:01Z'), lon: 0, lat: 0, speed: 0, altitude: -12.25, battery: 3.5 },
    ];
    const track = decodeBinaryCopy(copyStream(rows));
    expect(track.n).toBe(3);
    expect(Array.from(track.t)).toEqual(rows.map((r) => r.ts));
    expect(Array.from(track.lon)).toEqual([-3.7038, 179.9999999, 0]);
    expect(Array.from(track.lat)).toEqual([40.4168, -89.5, 0]);
    expect(Array.from(track.speedKmh)).toEqual([42.5, NaN, 0]);
    expect(Array.from(track.heading)).toEqual([270, 270, 270]);
    expect(Array.from(track.accuracy)).toEqual([NaN, NaN, NaN]);
    // The columns after accuracy: each read where the row has it, NaN where it is NULL.
    expect(Array.from(track.altitude)).toEqual([657.5, NaN, -12.25]);
    expect(Array.from(track.battery)).toEqual([NaN, 81, 3.5]);
  });

  it('reads an empty result, and refuses what is not a binary COPY stream', () => {
    const empty = decodeBinaryCopy(copyStream([]));
    expect(empty.n).toBe(0);
    expect(empty.altitude).toHaveLength(0);
    expect(empty.battery).toHaveLength(0);
    expect(() => decodeBinaryCopy(Buffer.from('ts,lat,lon\n'))).toThrow('not a binary COPY stream');
  });
});

describe('Gate', () => {
  it('turns away work over the limit with 429 and Retry-After, and takes it again once a slot frees', async () => {
    const gate = new Gate(1, 'exports');
    let release!: () => void;
    const first = gate.run(() => new Promise<void>((r) => (release = r)));
    await expect(gate.run(async () => 'second')).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
      headers: { 'Retry-After': '2' },
    });
    release();
    await first;
    await expect(gate.run(async () => 'third')).resolves.toBe('third');
  });

  it('frees the slot when the work fails', async () => {
    const gate = new Gate(1, 'exports');
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('vehicleStatus', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  const at = (secondsAgo: number, speedKmh: number | null) => ({ tsMs: now - secondsAgo * 1000, speedKmh });
  it('is offline past the threshold, else moving from 3 km/h, else stopped', () => {
    expect(vehicleStatus(at(601, 50), now, 600_000)).toBe('offline');
    expect(vehicleStatus(at(600, 50), now, 600_000)).toBe('moving');
    expect(vehicleStatus(at(10, 3), now, 600_000)).toBe('moving');
    expect(vehicleStatus(at(10, 2.9), now, 600_000)).toBe('stopped');
    expect(vehicleStatus(at(10, null), now, 600_000)).toBe('stopped');
  });
});
