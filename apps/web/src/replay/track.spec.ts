import type { HistoryFeatureCollection } from '@fleet/contracts';
import { indexAt, INTERPOLATE_MAX_GAP_MS, pointAt, readTrack } from './track';

type Feature = HistoryFeatureCollection['features'][number];
type Props = Omit<Feature['properties'], 'ts' | 'attributes'> & { attributes?: Record<string, unknown> };

const T0 = Date.parse('2026-11-27T08:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const pointFeature = (s: number, lat: number, lon: number, props: Props = {}): Feature => ({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [lon, lat] },
  properties: { ts: iso(s), attributes: {}, ...props },
});
const collection = (features: Feature[]): HistoryFeatureCollection => ({ type: 'FeatureCollection', features });

describe('readTrack', () => {
  it('reads Point features with their attributes and sorts them by time', () => {
    const track = readTrack(
      collection([
        pointFeature(10, 40.1, -3.1, { speedKmh: 36, heading: 90, battery: 77, attributes: { ignition: true } }),
        pointFeature(0, 40.0, -3.0, { speedKmh: 0, attributes: { fuel: 51 } }),
        pointFeature(5, Number.NaN, -3.0), // unusable
        { ...pointFeature(7, 40.2, -3.2), properties: { ts: 'not a time', attributes: {} } }, // no time
      ]),
    );
    expect(track.length).toBe(2);
    expect(Array.from(track.t)).toEqual([T0, T0 + 10_000]);
    expect(track.speedKmh[1]).toBe(36);
    expect(Number.isNaN(track.heading[0])).toBe(true);
    expect(track.extra).toEqual([{ fuel: 51 }, { ignition: true }]);
  });

  it('reads the points of a raw export, whose coordinates carry the altitude', () => {
    const withAltitude = (s: number, lat: number, lon: number, alt: number): Feature => ({
      ...pointFeature(s, lat, lon),
      geometry: { type: 'Point', coordinates: [lon, lat, alt] },
    });
    const track = readTrack(collection([withAltitude(0, 40, -3, 650), withAltitude(60, 40.1, -3.1, 655)]));
    expect(track.length).toBe(2);
    expect(track.lat[1]).toBeCloseTo(40.1);
    expect(track.lon[1]).toBeCloseTo(-3.1);
    expect(track.t[1] - track.t[0]).toBe(60_000);
    expect(Array.from(track.altitude)).toEqual([650, 655]);
    expect(track.extra).toEqual([null, null]);
  });

  it('marks the altitude unknown where the point has two coordinates', () => {
    const track = readTrack(collection([pointFeature(0, 40, -3)]));
    expect(Number.isNaN(track.altitude[0])).toBe(true);
  });
});

describe('indexAt and pointAt', () => {
  const track = readTrack(
    collection([
      pointFeature(0, 40.0, -3.0, { speedKmh: 10 }),
      pointFeature(10, 40.001, -3.0, { speedKmh: 20 }),
      pointFeature(20, 40.002, -3.0, { speedKmh: 30 }),
      // parked for an hour without fixes, then moved
      pointFeature(20 + 3600, 40.1, -3.1, { speedKmh: 40 }),
    ]),
  );

  it('finds the last fix at or before a time, clamping at both ends', () => {
    expect(indexAt(track, T0 - 5000)).toBe(0);
    expect(indexAt(track, T0)).toBe(0);
    expect(indexAt(track, T0 + 9_999)).toBe(0);
    expect(indexAt(track, T0 + 10_000)).toBe(1);
    expect(indexAt(track, T0 + 15_000)).toBe(1);
    expect(indexAt(track, T0 + 10 ** 9)).toBe(3);
  });

  it('interpolates the position between two close fixes; attributes are the earlier fix’s', () => {
    const p = pointAt(track, T0 + 15_000)!;
    expect(p.lat).toBeCloseTo(40.0015, 6);
    expect(p.speedKmh).toBe(20);
    expect(p.index).toBe(1);
  });

  it('does not slide the vehicle across a long gap: it stays where it was', () => {
    expect(3600_000).toBeGreaterThan(INTERPOLATE_MAX_GAP_MS);
    const p = pointAt(track, T0 + 20_000 + 1_800_000)!;
    expect(p.lat).toBe(40.002);
    expect(p.lon).toBe(-3.0);
  });

  it('stays fast on a long track (binary search)', () => {
    const n = 200_000;
    const features = Array.from({ length: n }, (_, i) => pointFeature(i, 40 + i / 1e6, -3));
    const long = readTrack(collection(features));
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) pointAt(long, T0 + ((i * 7919) % n) * 1000);
    // A linear scan would take minutes (2·10^10 steps); the bound is loose so a busy CI machine passes.
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(pointAt(long, T0 + 123_456 * 1000)!.index).toBe(123_456);
  });

  it('answers null for an empty track', () => {
    expect(pointAt(readTrack(collection([])), T0)).toBeNull();
  });
});
