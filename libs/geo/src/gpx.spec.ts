import fc from 'fast-check';
import { decodeGpx, encodeGpx, encodeGpxAsync, gpxTrackPoints } from './gpx';
import { GeoInputError, type TrackPoint } from './types';

const T = Date.UTC(2024, 4, 1, 8);

/** Tracks with what the platform stores, sometimes without the optional fields. */
const trackArb = fc.array(
  fc.record(
    {
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
      ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      altitude: fc.double({ min: -400, max: 9000, noNaN: true }),
      speedKmh: fc.double({ min: 0, max: 400, noNaN: true }),
      heading: fc.double({ min: 0, max: 359.99, noNaN: true }),
    },
    { requiredKeys: ['lat', 'lon'] },
  ),
  { maxLength: 40 },
);

const encode = (points: TrackPoint[], options = {}) => [...encodeGpx(points, options)].join('');

describe('GPX 1.1', () => {
  it('round-trips tracks: positions to 1e-7°, times to the millisecond, the other fields rounded', () => {
    fc.assert(
      fc.property(trackArb, fc.string({ maxLength: 20 }), (track, name) => {
        const doc = decodeGpx(encode(track, { name }));
        const back = gpxTrackPoints(doc);
        expect(doc.tracks).toHaveLength(1);
        expect(doc.tracks[0]!.name ?? '').toBe(name.trim());
        expect(back).toHaveLength(track.length);
        track.forEach((p, i) => {
          const q = back[i]!;
          expect(Math.abs(q.lat - p.lat)).toBeLessThanOrEqual(5e-8 + 1e-12);
          expect(Math.abs(q.lon - p.lon)).toBeLessThanOrEqual(5e-8 + 1e-12);
          expect(q.ts?.getTime()).toBe(p.ts);
          if (p.altitude === undefined) expect(q.altitude).toBeUndefined();
          else expect(Math.abs(q.altitude! - p.altitude)).toBeLessThanOrEqual(0.005 + 1e-9);
          if (p.speedKmh === undefined) expect(q.speedKmh).toBeUndefined();
          else expect(Math.abs(q.speedKmh! - p.speedKmh)).toBeLessThan(0.002);
          if (p.heading === undefined) expect(q.heading).toBeUndefined();
          else expect(Math.abs(q.heading! - p.heading)).toBeLessThanOrEqual(0.005 + 1e-9);
        });
      }),
    );
  });

  it('streams a long track in chunks without building it whole', async () => {
    let produced = 0;
    function* points() {
      for (let i = 0; i < 10_000; i++) {
        produced++;
        yield { lat: 40 + i * 1e-5, lon: -3.7, ts: T + i * 1000 };
      }
    }
    const it = encodeGpx(points(), { pointsPerChunk: 1000 });
    const first = it.next();
    expect(first.done).toBe(false);
    expect(first.value).toContain('<gpx version="1.1"');
    expect(produced).toBe(1000); // only the first chunk's points have been read
    const rest = [...it];
    expect(rest).toHaveLength(10);
    expect(gpxTrackPoints(decodeGpx(first.value + rest.join('')))).toHaveLength(10_000);

    async function* slow() {
      for (let i = 0; i < 2500; i++) yield { lat: 1, lon: 2, ts: new Date(T + i * 1000) };
    }
    const chunks: string[] = [];
    for await (const c of encodeGpxAsync(slow(), { pointsPerChunk: 1000 })) chunks.push(c);
    expect(chunks).toHaveLength(3);
    expect(gpxTrackPoints(decodeGpx(chunks.join('')))).toHaveLength(2500);
  });

  it('escapes names, writes no exponents, and refuses an invalid point naming it', () => {
    const xml = encode([{ lat: 1e-9, lon: -0.00000001, ts: T }], { name: 'Tom & "Jerry" <3', creator: 'a&b' });
    expect(xml).toContain('<name>Tom &amp; &quot;Jerry&quot; &lt;3</name>');
    expect(xml).toContain('creator="a&amp;b"');
    expect(xml).toContain('lat="0" lon="0"');
    expect(decodeGpx(xml).name).toBe('Tom & "Jerry" <3');
    expect(() =>
      encode([
        { lat: 1, lon: 1 },
        { lat: 91, lon: 1 },
      ]),
    ).toThrow('points.1');
    expect(() => encode([{ lat: 1, lon: 1, ts: 'soon' }])).toThrow('points.0.ts');
  });

  it('writes the caller’s extensions beside speed and course, in its declared namespace', () => {
    const points: Array<TrackPoint & { note?: string }> = [
      { lat: 1, lon: 2, ts: T, speedKmh: 36, heading: 90, note: 'a' },
      { lat: 1, lon: 2 },
    ];
    const xml = [
      ...encodeGpx(points, {
        namespaces: { x: 'urn:example:x' },
        extensions: (p, i) => (p.note ? `<x:note i="${i}">${p.note}</x:note>` : ''),
      }),
    ].join('');
    expect(xml).toContain('xmlns:x="urn:example:x"');
    expect(xml).toContain(
      '<extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>10</gpxtpx:speed><gpxtpx:course>90</gpxtpx:course></gpxtpx:TrackPointExtension><x:note i="0">a</x:note></extensions>',
    );
    expect(xml).toContain('<trkpt lat="1" lon="2"></trkpt>');
    expect(gpxTrackPoints(decodeGpx(xml))[0]).toMatchObject({ speedKmh: 36, heading: 90 });
  });

  it('reads GPX 1.0 speed and course, extensions from other apps, routes and waypoints', () => {
    const doc = decodeGpx(`<?xml version="1.0"?>
      <gpx version="1.0" creator="x" xmlns="http://www.topografix.com/GPX/1/0">
        <name>Old file</name>
        <wpt lat="10" lon="20"><name>Depot</name></wpt>
        <trk><name>Morning</name>
          <trkseg>
            <trkpt lat="48.1" lon="11.5"><ele>520</ele><time>2024-05-01T08:00:00Z</time><speed>10</speed><course>90.5</course></trkpt>
            <trkpt lat="48.2" lon="11.6"><time>2024-05-01T08:00:05Z</time>
              <extensions><osmand:speed xmlns:osmand="https://osmand.net">5</osmand:speed></extensions></trkpt>
          </trkseg>
          <trkseg><trkpt lat="48.3" lon="11.7"/></trkseg>
        </trk>
        <rte><name>Plan</name><rtept lat="1" lon="2"/><rtept lat="3" lon="4"/></rte>
      </gpx>`);
    expect(doc.name).toBe('Old file');
    expect(doc.waypoints).toEqual([{ lat: 10, lon: 20, name: 'Depot' }]);
    expect(doc.tracks[0]!.name).toBe('Morning');
    expect(doc.tracks[0]!.segments.map((s) => s.length)).toEqual([2, 1]);
    const [a, b] = doc.tracks[0]!.segments[0]!;
    expect(a).toEqual({
      lat: 48.1,
      lon: 11.5,
      altitude: 520,
      ts: new Date('2024-05-01T08:00:00Z'),
      speedKmh: 36,
      heading: 90.5,
    });
    expect(b!.speedKmh).toBe(18);
    expect(doc.routes[0]).toEqual({
      name: 'Plan',
      segments: [
        [
          { lat: 1, lon: 2 },
          { lat: 3, lon: 4 },
        ],
      ],
    });
    expect(gpxTrackPoints(doc)).toHaveLength(3);
    expect(gpxTrackPoints({ ...doc, tracks: [] })).toHaveLength(2);
  });

  it('refuses broken documents with the reason and the line', () => {
    const bad = (xml: string, message: RegExp) => {
      expect(() => decodeGpx(xml)).toThrow(GeoInputError);
      expect(() => decodeGpx(xml)).toThrow(message);
    };
    bad('<gpx><trk><trkseg><trkpt lat="1" lon="2"></trkseg></gpx>', /not well-formed XML/);
    bad('<kml></kml>', /not a GPX document/);
    bad('', /not a GPX document|not well-formed/);
    bad('<gpx>\n<wpt lat="95" lon="2"/></gpx>', /line 2: <wpt> has a missing or out-of-range lat\/lon/);
    bad('<gpx><wpt lon="2"/></gpx>', /missing or out-of-range/);
    bad('<gpx><wpt lat="1" lon="2"><time>yesterday</time></wpt></gpx>', /<time> "yesterday" is not an ISO-8601 time/);
    bad('<gpx><wpt lat="1" lon="2"><ele>high</ele></wpt></gpx>', /<ele> is not a number/);
  });
});
