import { StringDecoder } from 'node:string_decoder';
import type { GpxImportResult } from '@fleet/contracts';
import { SaxesParser } from 'saxes';
import { mpsToKmh } from '@fleet/geo';
import type { UserVerifier } from '../device-auth';
import { headingOf, num, parseTimestamp, speedKmh, type RawFix } from '../fix';
import { InvalidPositionsError, type IngestItem } from '../pipeline';
import type { FieldNames } from '../storable-fix';
import { duplicateTimestamps, refuse, storableItems, type HttpIngest } from './http';

/**
 * A GPX 1.0 or 1.1 file uploaded for a vehicle, on `POST /api/v1/vehicles/:id/import`, by the vehicle's
 * own device token or by a signed-in admin or operator of its organization. The body is streamed and
 * staged in batches of 1,000 points as it is read; points without a usable time or position are skipped
 * and fields storage cannot hold dropped, each counted in the answer (GpxImportResult). A file cut short
 * keeps what was read before the break.
 */

/** Error paths in the format's own names. */
export const GPX_NAMES: FieldNames = { speed: 'speed', heading: 'course', altitude: 'ele', attributes: 'extensions' };

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
    if (failed) return;
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
  // The first error ends the stream: one chunk can raise several (`</a></b>` with nothing open), and
  // nothing read after it is yielded.
  parser.on('error', (err) => {
    if (failed) return;
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

export interface GpxUpload {
  vehicleId: string;
  /** The bearer token: the vehicle's device token, or a user's access token (verifyUser checks it). */
  token: string | undefined;
  verifyUser: UserVerifier;
  /** The declared Content-Length (0 when absent): a larger one is refused before reading. */
  contentLength: number;
  maxBytes: number;
  body: AsyncIterable<Buffer>;
}

/** Imports an uploaded file into the vehicle's track, and says what was imported, skipped and dropped. */
export async function importGpx(ctx: HttpIngest, upload: GpxUpload): Promise<GpxImportResult> {
  const device = await ctx.auth.forVehicle('gpx', upload.vehicleId, upload);
  if (upload.contentLength > upload.maxBytes) throw refuse.payloadTooLarge(`GPX files up to ${upload.maxBytes} bytes`);
  const result: GpxImportResult = {
    imported: 0,
    duplicates: 0,
    skipped: 0,
    batches: 0,
    skippedReasons: {},
    droppedFields: {},
  };
  const seen = new Set<number>();
  const skip = (reason: string, n = 1) => {
    result.skipped += n;
    result.skippedReasons[reason] = (result.skippedReasons[reason] ?? 0) + n;
  };
  let bytes = 0;
  async function* limited() {
    for await (const chunk of upload.body) {
      bytes += chunk.length;
      if (bytes > upload.maxBytes) throw refuse.payloadTooLarge(`GPX files up to ${upload.maxBytes} bytes`);
      yield chunk;
    }
  }
  let batch: IngestItem[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const storable = storableItems(ctx, 'gpx', batch, 'drop', GPX_NAMES);
    for (const { field } of storable.dropped) result.droppedFields[field] = (result.droppedFields[field] ?? 0) + 1;
    const { accepted, rejected } = await ctx.pipeline
      .ingest('gpx', storable.items, { partial: true })
      .catch((err: unknown) => {
        if (err instanceof InvalidPositionsError) return { accepted: 0, rejected: err.details };
        throw err;
      });
    const invalid = new Set(rejected.map((e) => e.path.split('.')[0]));
    if (invalid.size) skip('invalid', invalid.size);
    const duplicates = accepted
      ? duplicateTimestamps(
          storable.items.filter((item) => !invalid.has(item.path)),
          seen,
        )
      : 0;
    result.duplicates += duplicates;
    result.imported += accepted - duplicates;
    if (accepted) result.batches += 1;
    batch = [];
  };
  for await (const item of readGpx(limited())) {
    if (item.kind === 'error') {
      if (result.imported === 0 && batch.length === 0) throw refuse.badRequest(item.message);
      skip('truncated_xml');
      break;
    }
    if (!item.fix.ts) {
      skip(item.hasTime ? 'invalid_time' : 'no_time');
      continue;
    }
    batch.push({ device, fix: item.fix, path: `trkpt${item.index}` });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return result;
}
