import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { mpsToKmh } from '@fleet/geo';
import { headingOf, num, parseTimestamp, speedKmh, type RawFix } from './fix';

export type GpxItem =
  | {
      kind: 'point';
      fix: RawFix;
      index: number;
      /** The point has a <time>; with `fix.ts` undefined it was not understood. */
      hasTime: boolean;
    }
  | { kind: 'error'; message: string };

const local = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();

/**
 * Streams the track points of a GPX 1.0 or 1.1 document (`trkpt`, and `rtept` of routes) as fixes,
 * reading the body chunk by chunk so a 100 MB file never sits in memory. Speed (m/s) and course come
 * from GPX 1.0 elements or from extensions (Garmin TrackPointExtension and the like).
 */
export async function* readGpx(source: AsyncIterable<Buffer | string>): AsyncGenerator<GpxItem> {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const queue: GpxItem[] = [];
  let point: { lat: number; lon: number; fields: Record<string, string> } | undefined;
  let field: string | undefined;
  let text = '';
  let index = 0;
  let sawGpx = false;
  let failed = false;

  parser.on('opentag', (tag) => {
    const name = local(tag.name);
    if (name === 'gpx') sawGpx = true;
    if (name === 'trkpt' || name === 'rtept') {
      const attrs = tag.attributes as Record<string, string>;
      point = { lat: num(attrs['lat']) ?? Number.NaN, lon: num(attrs['lon']) ?? Number.NaN, fields: {} };
    } else if (point) {
      field = name;
      text = '';
    }
  });
  parser.on('text', (t) => {
    if (field) text += t;
  });
  parser.on('closetag', (tag) => {
    const name = local(tag.name);
    if (point && (name === 'trkpt' || name === 'rtept')) {
      const f = point.fields;
      const attributes: Record<string, unknown> = {};
      for (const key of ['hdop', 'vdop', 'sat', 'hr', 'cad', 'atemp'])
        if (num(f[key]) !== undefined) attributes[key] = num(f[key]);
      queue.push({
        kind: 'point',
        index: index++,
        hasTime: f['time'] !== undefined,
        fix: {
          ts: f['time'] === undefined ? undefined : parseTimestamp(f['time']),
          lat: point.lat,
          lon: point.lon,
          altitude: num(f['ele']),
          speedKmh: speedKmh(f['speed'], mpsToKmh),
          heading: headingOf(num(f['course'] ?? f['bearing'])),
          accuracy: undefined,
          attributes,
        },
      });
      point = undefined;
    } else if (point && field === name) {
      point.fields[name] = text.trim();
      field = undefined;
    }
  });
  parser.on('error', (err) => {
    failed = true;
    queue.push({ kind: 'error', message: `not well-formed XML: ${err.message.split('\n')[0]}` });
  });

  const decoder = new StringDecoder('utf8');
  // XML allows nothing before `<?xml`, but exported files often start with a UTF-8 byte-order mark or a
  // blank line: both are skipped (the text may span chunks) instead of refusing the whole file.
  let started = false;
  const feed = (text: string) => {
    if (!started) {
      text = text.replace(/^[\s\ufeff]+/, '');
      if (!text) return;
      started = true;
    }
    parser.write(text);
  };
  for await (const chunk of source) {
    feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    while (queue.length) yield queue.shift()!;
    if (failed) return;
  }
  feed(decoder.end());
  parser.close();
  while (queue.length) yield queue.shift()!;
  if (!sawGpx && !failed) yield { kind: 'error', message: 'not a GPX document (no <gpx> element)' };
}
