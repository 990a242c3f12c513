import { SaxesParser } from 'saxes';
import { fixed } from './format';
import { toEpochMs } from './time';
import { GeoInputError, type TrackPoint } from './types';
import { isValidCoordinate, kmhToMps, mpsToKmh } from './units';

export interface GpxEncodeOptions<T extends TrackPoint = TrackPoint> {
  /** Name of the track (and of the document's metadata). */
  name?: string;
  /** The `creator` attribute GPX 1.1 requires. */
  creator?: string;
  /** Track points per yielded string: fewer, larger writes for a streamed response. */
  pointsPerChunk?: number;
  /** More namespaces declared on `<gpx>` (prefix → URI), for the elements `extensions` writes. */
  namespaces?: Record<string, string>;
  /** More XML inside each point's `<extensions>` (already escaped, in a declared namespace). */
  extensions?: (point: T, index: number) => string;
}

const GARMIN_TPX = 'http://www.garmin.com/xmlschemas/TrackPointExtension/v2';

const XML_ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => XML_ENTITIES[c] ?? c);

const present = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function header<T extends TrackPoint>(options: GpxEncodeOptions<T>): string {
  const name = options.name === undefined ? '' : `<name>${escapeXml(options.name)}</name>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<gpx version="1.1" creator="${escapeXml(options.creator ?? 'fleet')}" ` +
    'xmlns="http://www.topografix.com/GPX/1/1" ' +
    `xmlns:gpxtpx="${GARMIN_TPX}" ` +
    Object.entries(options.namespaces ?? {})
      .map(([prefix, uri]) => `xmlns:${prefix}="${escapeXml(uri)}" `)
      .join('') +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">\n' +
    (name ? `<metadata>${name}</metadata>\n` : '') +
    `<trk>${name}<trkseg>\n`
  );
}

const FOOTER = '</trkseg></trk>\n</gpx>\n';

/**
 * One `<trkpt>`. GPX 1.1 has no speed or course element, so they go into Garmin's
 * TrackPointExtension (speed in m/s), which Garmin, Strava, OsmAnd and our own importer read.
 */
function trkpt<T extends TrackPoint>(p: T, index: number, more?: GpxEncodeOptions<T>['extensions']): string {
  if (!isValidCoordinate(p)) throw new GeoInputError(`points.${index}`, 'lat/lon missing or out of range');
  let s = `<trkpt lat="${fixed(p.lat, 7)}" lon="${fixed(p.lon, 7)}">`;
  if (present(p.altitude)) s += `<ele>${fixed(p.altitude, 2)}</ele>`;
  if (p.ts !== undefined) s += `<time>${new Date(toEpochMs(p.ts, `points.${index}.ts`)).toISOString()}</time>`;
  let ext = '';
  if (present(p.speedKmh) && p.speedKmh >= 0) ext += `<gpxtpx:speed>${fixed(kmhToMps(p.speedKmh), 3)}</gpxtpx:speed>`;
  if (present(p.heading)) ext += `<gpxtpx:course>${fixed(p.heading, 2)}</gpxtpx:course>`;
  if (ext) ext = `<gpxtpx:TrackPointExtension>${ext}</gpxtpx:TrackPointExtension>`;
  ext += more?.(p, index) ?? '';
  if (ext) s += `<extensions>${ext}</extensions>`;
  return s + '</trkpt>\n';
}

const chunkSize = (options: GpxEncodeOptions<never>) => Math.max(1, Math.floor(options.pointsPerChunk ?? 500));

/**
 * A GPX 1.1 document with one track, as string chunks: write each to a response as it comes and a
 * year of 1 Hz fixes never sits in memory. `[...encodeGpx(points)].join('')` for a small track.
 */
export function* encodeGpx<T extends TrackPoint>(
  points: Iterable<T>,
  options: GpxEncodeOptions<T> = {},
): Generator<string> {
  const size = chunkSize(options);
  let chunk = header(options);
  let n = 0;
  let index = 0;
  for (const p of points) {
    chunk += trkpt(p, index++, options.extensions);
    if (++n >= size) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  yield chunk + FOOTER;
}

/** `encodeGpx` for points that arrive asynchronously (a database cursor). */
export async function* encodeGpxAsync<T extends TrackPoint>(
  points: AsyncIterable<T> | Iterable<T>,
  options: GpxEncodeOptions<T> = {},
): AsyncGenerator<string> {
  const size = chunkSize(options);
  let chunk = header(options);
  let n = 0;
  let index = 0;
  for await (const p of points) {
    chunk += trkpt(p, index++, options.extensions);
    if (++n >= size) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  yield chunk + FOOTER;
}

/** A decoded point; `ts` is a Date when the point had a `<time>`. */
export interface GpxPoint extends TrackPoint {
  ts?: Date;
  name?: string;
}

export interface GpxTrack {
  name?: string;
  /** A track's segments (a route has exactly one). */
  segments: GpxPoint[][];
}

export interface GpxDocument {
  name?: string;
  tracks: GpxTrack[];
  routes: GpxTrack[];
  waypoints: GpxPoint[];
}

const local = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();
const POINTS = new Set(['trkpt', 'rtept', 'wpt']);

/**
 * Reads a GPX 1.0 or 1.1 document held in a string: tracks with their segments, routes and
 * waypoints. Speed comes from GPX 1.0 `<speed>` or an extension's `speed` (m/s), course likewise.
 * For uploads of any size the API streams instead (libs/ingest/src/gpx.ts). Throws
 * GeoInputError naming the line of the first problem.
 */
export function decodeGpx(xml: string): GpxDocument {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const doc: GpxDocument = { tracks: [], routes: [], waypoints: [] };
  const stack: string[] = [];
  let track: GpxTrack | undefined;
  let segment: GpxPoint[] | undefined;
  let point: GpxPoint | undefined;
  let text = '';
  let sawGpx = false;
  const fail = (message: string): never => {
    throw new GeoInputError('gpx', `line ${parser.line}: ${message}`);
  };

  parser.on('opentag', (tag) => {
    const name = local(tag.name);
    if (stack.length === 0) {
      if (name !== 'gpx') fail(`not a GPX document (root element is <${tag.name}>)`);
      sawGpx = true;
    }
    stack.push(name);
    text = '';
    if (name === 'trk' || name === 'rte') {
      track = { segments: [] };
      (name === 'trk' ? doc.tracks : doc.routes).push(track);
      if (name === 'rte') track.segments.push((segment = []));
    } else if (name === 'trkseg' && track) {
      track.segments.push((segment = []));
    } else if (POINTS.has(name)) {
      const attrs = tag.attributes as Record<string, string>;
      const p = { lat: Number(attrs['lat'] ?? Number.NaN), lon: Number(attrs['lon'] ?? Number.NaN) };
      if (attrs['lat'] === undefined || attrs['lon'] === undefined || !isValidCoordinate(p))
        fail(`<${tag.name}> has a missing or out-of-range lat/lon`);
      point = p;
    }
  });
  const onText = (t: string) => {
    text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', (tag) => {
    const name = local(tag.name);
    stack.pop();
    const parent = stack[stack.length - 1];
    const value = text.trim();
    text = '';
    if (POINTS.has(name) && point) {
      if (name === 'wpt') doc.waypoints.push(point);
      else if (segment) segment.push(point);
      point = undefined;
    } else if (name === 'trk' || name === 'rte') {
      track = undefined;
      segment = undefined;
    } else if (name === 'trkseg') {
      segment = undefined;
    } else if (point) {
      const num = () => {
        const n = Number(value);
        if (value === '' || !Number.isFinite(n)) fail(`<${tag.name}> is not a number`);
        return n;
      };
      if (name === 'ele') point.altitude = num();
      else if (name === 'time') {
        const ms = Date.parse(value);
        if (!Number.isFinite(ms)) fail(`<time> "${value.slice(0, 40)}" is not an ISO-8601 time`);
        point.ts = new Date(ms);
      } else if (name === 'speed') point.speedKmh = mpsToKmh(num());
      else if (name === 'course' || name === 'bearing') point.heading = num();
      else if (name === 'name' && POINTS.has(parent ?? '')) point.name = value;
    } else if (name === 'name') {
      if (parent === 'metadata' || (parent === 'gpx' && doc.name === undefined)) doc.name = value;
      else if ((parent === 'trk' || parent === 'rte') && track) track.name = value;
    }
  });

  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof GeoInputError) throw err;
    throw new GeoInputError('gpx', `not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!sawGpx) throw new GeoInputError('gpx', 'not a GPX document (no <gpx> element)');
  return doc;
}

/** Every track point of every track and segment, in document order (routes if there is no track). */
export function gpxTrackPoints(doc: GpxDocument): GpxPoint[] {
  const source = doc.tracks.length ? doc.tracks : doc.routes;
  return source.flatMap((t) => t.segments.flat());
}
