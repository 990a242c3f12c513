import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FixAttributes, HistoryFormat } from '@fleet/contracts';
import type { Pool } from '@fleet/db';
import {
  encodeGeoJsonPoints,
  encodeGpxAsync,
  simplifyIndices,
  simplifyToMaxPointsIndices,
  type LatLon,
  type TrackPoint,
} from '@fleet/geo';
import type { Logger } from '@fleet/logging-json';
import {
  asAttributes,
  attributesAt,
  HISTORY_PLAN_SQL,
  readCompact,
  windows,
  type CompactTrack,
  type Period,
} from '@fleet/reports';
import type { Response } from 'express';
import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import {
  csvAttributeCells,
  csvAttributeColumns,
  csvAttributeHeader,
  FLEET_GPX_NS,
  FLEET_GPX_PREFIX,
  gpxAttributeElements,
  type CsvAttributeColumns,
} from './attributes';

/** Longest a history export may take, slow clients included; past it the connection is cut. */
export const EXPORT_TIMEOUT_MS = 15 * 60_000;

export interface HistoryRequest {
  vehicleId: string;
  vehicleName: string;
  period: Period;
  format: HistoryFormat;
  /** Douglas–Peucker tolerance, metres. */
  simplify?: number;
  maxPoints?: number;
}

interface ExportPoint extends TrackPoint {
  ts: number;
  battery?: number | null;
  /** The fix's stored attributes, `{}` when none. */
  attributes: FixAttributes;
}

const RAW_SQL = `
SELECT (extract(epoch FROM ts) * 1000)::float8, ST_Y(point), ST_X(point), speed_kmh, heading, altitude, accuracy, battery,
       attributes
  FROM positions
 WHERE vehicle_id = $1 AND ts >= $2 AND ts < $3
 ORDER BY ts`;

/** Rows read through a server-side cursor, 1,000 at a time, only as fast as the client takes them. */
async function* rawPoints(client: PoolClient, req: HistoryRequest): AsyncGenerator<ExportPoint> {
  const stream = client.query(
    new QueryStream(RAW_SQL, [req.vehicleId, req.period.from, req.period.to], {
      batchSize: 1000,
      highWaterMark: 1000,
      rowMode: 'array',
    }),
  );
  try {
    for await (const r of stream as AsyncIterable<unknown[]>) {
      yield {
        ts: r[0] as number,
        lat: r[1] as number,
        lon: r[2] as number,
        speedKmh: r[3] as number | null,
        heading: r[4] as number | null,
        altitude: r[5] as number | null,
        accuracy: r[6] as number | null,
        battery: r[7] as number | null,
        attributes: asAttributes(r[8]),
      };
    }
  } finally {
    stream.destroy();
  }
}

/** float4 columns decoded to doubles read 43.05774307250977: back to the digits that were stored. */
const real = (v: number) => (Number.isNaN(v) ? null : Number(v.toPrecision(7)));

const compactPoint = (c: CompactTrack, k: number, attributes: FixAttributes): ExportPoint => ({
  ts: c.t[k],
  lat: c.lat[k],
  lon: c.lon[k],
  speedKmh: real(c.speedKmh[k]),
  heading: real(c.heading[k]),
  altitude: real(c.altitude[k]),
  accuracy: real(c.accuracy[k]),
  battery: real(c.battery[k]),
  attributes,
});

/**
 * The simplified track, a window at a time (memory bounded by one window's fixes as typed arrays):
 * Douglas–Peucker to the tolerance, or the most significant fixes within a point budget. The budget
 * is shared by time: each window gets its share of what is left, in proportion to its duration, and
 * a quiet window's unused share passes on to the next, so no count query is needed and the total
 * never exceeds `maxPoints`. Window ends are kept, so the tolerance guarantee holds across windows.
 * Attributes are read for the kept fixes only (a key probe each), not for the whole window.
 */
async function* simplifiedPoints(client: PoolClient, req: HistoryRequest): AsyncGenerator<ExportPoint> {
  let budget = req.maxPoints;
  let remainingMs = req.period.to.getTime() - req.period.from.getTime();
  for (const part of windows(req.period)) {
    const durationMs = part.to.getTime() - part.from.getTime();
    const share =
      budget === undefined ? 0 : Math.min(budget, Math.max(2, Math.floor((budget * durationMs) / remainingMs)));
    remainingMs -= durationMs;
    if (budget !== undefined && share < 2) break;
    const track = await readCompact(client, req.vehicleId, part);
    if (!track.n) continue;
    const coords = new Array<LatLon>(track.n);
    for (let k = 0; k < track.n; k++) coords[k] = { lat: track.lat[k], lon: track.lon[k] };
    const kept =
      budget === undefined ? simplifyIndices(coords, req.simplify ?? 0) : simplifyToMaxPointsIndices(coords, share);
    if (budget !== undefined) budget -= kept.length;
    const attributes = await attributesAt(
      client,
      req.vehicleId,
      Float64Array.from(kept, (k) => track.t[k]),
    );
    for (let i = 0; i < kept.length; i++) yield compactPoint(track, kept[i], attributes[i]);
  }
}

const decimals = (v: number, d: number) => {
  const s = v.toFixed(d);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};
const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/**
 * CSV (RFC 4180, header row), one line per fix, in chunks of `perChunk` lines; then one column per
 * attribute key of the period (`attributes.<key>`, see csvAttributeColumns).
 */
async function* encodeCsv(
  points: AsyncIterable<ExportPoint>,
  columns: CsvAttributeColumns,
  perChunk = 500,
): AsyncGenerator<string> {
  const index = new Map(columns.keys.map((k, i) => [k, i]));
  let chunk = `ts,lat,lon,speed_kmh,heading,altitude,accuracy,battery${csvAttributeHeader(columns)}\n`;
  let n = 0;
  for await (const p of points) {
    chunk += `${new Date(p.ts).toISOString()},${decimals(p.lat, 7)},${decimals(p.lon, 7)},${cell(p.speedKmh)},${cell(p.heading)},${cell(p.altitude)},${cell(p.accuracy)},${cell(p.battery)}${csvAttributeCells(columns, index, p.attributes)}\n`;
    if (++n >= perChunk) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  yield chunk;
}

const FORMATS: Record<HistoryFormat, { contentType: string; extension: string; attachment: boolean }> = {
  geojson: { contentType: 'application/geo+json; charset=utf-8', extension: 'geojson', attachment: false },
  gpx: { contentType: 'application/gpx+xml; charset=utf-8', extension: 'gpx', attachment: true },
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv', attachment: true },
};

function encode(
  req: HistoryRequest,
  points: AsyncIterable<ExportPoint>,
  csvColumns: CsvAttributeColumns,
): AsyncIterable<string> {
  switch (req.format) {
    case 'gpx':
      return encodeGpxAsync(points, {
        name: req.vehicleName,
        creator: 'fleet',
        namespaces: { [FLEET_GPX_PREFIX]: FLEET_GPX_NS },
        extensions: (p) => gpxAttributeElements(p.attributes),
      });
    case 'csv':
      return encodeCsv(points, csvColumns);
    case 'geojson':
      return encodeGeoJsonPoints(points, {
        properties: (p) =>
          p.battery === null || p.battery === undefined
            ? { attributes: p.attributes }
            : { battery: p.battery, attributes: p.attributes },
      });
  }
}

const prematureClose = (err: unknown) => (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * Writes a vehicle's history to the response as it is read: nothing but a cursor batch (raw) or one
 * window of fixes (simplified, ≤ 36 hours) is ever held, and `pipeline` waits whenever the client is slower than the
 * database. Errors before the first byte become an ordinary error answer; after it, the connection
 * is cut, so a truncated document is never mistaken for a complete one.
 */
export async function streamHistory(
  deps: { pool: Pool; logger: Logger },
  res: Response,
  req: HistoryRequest,
): Promise<void> {
  // Not withTransaction: a client gone mid-cursor leaves the connection mid-statement, which is
  // destroyed (below) rather than rolled back and handed on, and errors after the first byte cut it.
  const client = await deps.pool.connect();
  let failed = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(HISTORY_PLAN_SQL);
    // A cursor is one statement until the transaction ends, however slowly the client reads: the
    // pool's statement timeout (seconds) would cut any export longer than that. Its own bound instead.
    await client.query("SELECT set_config('statement_timeout', $1, true)", [`${EXPORT_TIMEOUT_MS}ms`]);
    // CSV needs its columns before the first line: every attribute key of the period, from the same snapshot.
    const csvColumns =
      req.format === 'csv'
        ? await csvAttributeColumns(client, req.vehicleId, req.period)
        : { keys: [], overflow: false };
    const points =
      req.simplify !== undefined || req.maxPoints !== undefined
        ? simplifiedPoints(client, req)
        : rawPoints(client, req);
    const format = FORMATS[req.format];
    res.status(200).setHeader('Content-Type', format.contentType);
    res.setHeader('Cache-Control', 'private, no-store');
    if (format.attachment) {
      const day = req.period.from.toISOString().slice(0, 10);
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="history-${req.vehicleId}-${day}.${format.extension}"`,
      );
    }
    await pipeline(Readable.from(encode(req, points, csvColumns)), res);
    await client.query('COMMIT');
  } catch (err) {
    failed = true;
    if (prematureClose(err)) return; // the client went away
    if (!res.headersSent) {
      res.removeHeader('Content-Disposition');
      throw err;
    }
    deps.logger.warn('history export failed after it started; connection cut', { err });
    res.destroy();
  } finally {
    // A connection left mid-cursor or mid-COPY is closed rather than handed to the next request.
    client.release(failed);
  }
}
