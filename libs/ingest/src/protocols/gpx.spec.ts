import fc from 'fast-check';
import { readGpx } from './gpx';

describe('readGpx', () => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1"><trk><trkseg><trkpt lat="40.5" lon="-3.5"><ele>650</ele><time>2025-06-02T08:00:00Z</time></trkpt></trkseg></trk></gpx>`;
  const read = async (chunks: Array<Buffer | string>) => {
    const items = [];
    for await (const item of readGpx(
      (async function* () {
        yield* chunks;
      })(),
    ))
      items.push(item);
    return items;
  };

  it.each([
    ['a UTF-8 byte-order mark', [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)])]],
    ['a blank line', [`\r\n  \n${doc}`]],
    ['whitespace and a BOM split over chunks', [Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x0a, 0x20]), ' ', doc]],
  ])('reads a file starting with %s', async (_, chunks) => {
    const items = await read(chunks);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'point', fix: { lat: 40.5, lon: -3.5, altitude: 650 } });
  });

  it('still refuses text before the declaration', async () => {
    expect((await read([`junk${doc}`]))[0]).toMatchObject({ kind: 'error' });
  });

  it('never throws, whatever the bytes: points, then at most one error, which ends the stream', async () => {
    const trkpt = fc
      .tuple(fc.string(), fc.string(), fc.string())
      .map(([lat, lon, time]) => `<trkpt lat="${lat}" lon="${lon}"><time>${time}</time></trkpt>`);
    const chunk = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom('<?xml version="1.0"?>', '<gpx>', '</gpx>', '<trk><trkseg>', '</trkseg></trk>'),
      trkpt,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 12 }), async (chunks) => {
        const items = await read(chunks);
        const errors = items.filter((item) => item.kind === 'error');
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length) expect(items[items.length - 1]).toBe(errors[0]);
        for (const item of items)
          if (item.kind === 'point' && item.fix.ts) expect(Number.isFinite(item.fix.ts.getTime())).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
