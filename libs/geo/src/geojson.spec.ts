import fc from 'fast-check';
import { decodeGeoJson, encodeGeoJsonPoints, toFeatureCollection, toLineString, toPointFeature } from './geojson';
import { GeoInputError, type TrackPoint } from './types';

const T = Date.UTC(2024, 4, 1, 8);
// JSON has no negative zero: -0 goes out as 0, so compare with +0.
const num = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((v) => (v === 0 ? 0 : v));
const trackArb = fc.array(
  fc.record(
    {
      lat: num(-90, 90),
      lon: num(-180, 180),
      ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      altitude: num(-400, 9000),
      speedKmh: num(0, 400),
      heading: num(0, 359.99),
      accuracy: num(0, 1000),
    },
    { requiredKeys: ['lat', 'lon'] },
  ),
  { maxLength: 40 },
);

const collect = async (it: AsyncIterable<string>) => {
  let s = '';
  for await (const c of it) s += c;
  return s;
};

/** What a point should read back as: the timestamp becomes a Date. */
const expected = (p: TrackPoint): TrackPoint => ({ ...p, ...(p.ts !== undefined && { ts: new Date(p.ts as number) }) });

describe('GeoJSON', () => {
  it('round-trips a FeatureCollection of Points with their fields', () => {
    fc.assert(
      fc.property(trackArb, (track) => {
        const fcol = JSON.parse(JSON.stringify(toFeatureCollection(track)));
        expect(decodeGeoJson(fcol)).toEqual(track.map(expected));
      }),
    );
  });

  it('round-trips a LineString track with coordTimes', () => {
    fc.assert(
      fc.property(trackArb, (track) => {
        const timed = track.map((p, i) => ({ lat: p.lat, lon: p.lon, ts: T + i * 1000 }));
        const line = toLineString(timed, { vehicle: 'v1' });
        expect(line.properties['vehicle']).toBe('v1');
        expect(decodeGeoJson(JSON.stringify(line))).toEqual(timed.map(expected));
      }),
    );
  });

  it('streams the same FeatureCollection, positions rounded to 1e-7°, in chunks', async () => {
    await fc.assert(
      fc.asyncProperty(trackArb, async (track) => {
        const text = await collect(encodeGeoJsonPoints(track, { pointsPerChunk: 7 }));
        const back = decodeGeoJson(text);
        expect(back).toHaveLength(track.length);
        back.forEach((q, i) => {
          const p = track[i]!;
          expect(Math.abs(q.lat - p.lat)).toBeLessThanOrEqual(5e-8 + 1e-12);
          expect(Math.abs(q.lon - p.lon)).toBeLessThanOrEqual(5e-8 + 1e-12);
          expect(q.ts).toEqual(p.ts === undefined ? undefined : new Date(p.ts));
          expect(q.speedKmh).toBe(p.speedKmh);
        });
      }),
      { numRuns: 50 },
    );
    const chunks: string[] = [];
    const points = Array.from({ length: 20 }, (_, i) => ({ lat: 1, lon: i, ts: T }));
    for await (const c of encodeGeoJsonPoints(points, { pointsPerChunk: 7, properties: (_p, i) => ({ n: i }) }))
      chunks.push(c);
    expect(chunks).toHaveLength(3);
    expect(JSON.parse(chunks.join('')).features[19].properties).toEqual({ ts: new Date(T).toISOString(), n: 19 });
  });

  it('builds Point features in GeoJSON axis order with altitude', () => {
    expect(toPointFeature({ lat: 10, lon: 20, altitude: 5 }, { id: 'x' })).toEqual({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [20, 10, 5] },
      properties: { id: 'x' },
    });
    expect(
      toLineString([
        { lat: 1, lon: 2 },
        { lat: 3, lon: 4, ts: T },
      ]).properties,
    ).toEqual({});
    expect(decodeGeoJson({ type: 'Point', coordinates: [2, 1] })).toEqual([{ lat: 1, lon: 2 }]);
  });

  it('refuses what is not GeoJSON of points or a track, naming where', () => {
    const bad = (input: unknown, path: string) => {
      expect(() => decodeGeoJson(input)).toThrow(GeoInputError);
      expect(() => decodeGeoJson(input)).toThrow(path);
    };
    bad('{not json', 'geojson');
    bad(42, 'geojson');
    bad({ type: 'FeatureCollection' }, 'features');
    bad(
      {
        type: 'FeatureCollection',
        features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [200, 1] } }],
      },
      'features.0.geometry.coordinates',
    );
    bad({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [] }, properties: {} }, 'feature.geometry.type');
    bad(
      { type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { ts: 'noon' } },
      'feature.properties.ts',
    );
    bad(
      { type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { speedKmh: '5' } },
      'feature.properties.speedKmh',
    );
    bad(
      {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        },
        properties: { coordTimes: ['2024-01-01T00:00:00Z'] },
      },
      'feature.properties.coordTimes',
    );
    expect(() =>
      toFeatureCollection([
        { lat: 1, lon: 1 },
        { lat: 1, lon: 500 },
      ]),
    ).toThrow('points.1');
  });
});
