import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Period } from './period';

/**
 * A window of one vehicle's fixes as columns (typed arrays), for the work done in memory:
 * simplification and trip/stop detection. NaN marks a missing value.
 */
export interface CompactTrack {
  n: number;
  /** Epoch milliseconds. */
  t: Float64Array;
  lat: Float64Array;
  lon: Float64Array;
  speedKmh: Float32Array;
  heading: Float32Array;
  accuracy: Float32Array;
  /** Metres. */
  altitude: Float32Array;
  /** Percent. */
  battery: Float32Array;
}

/**
 * Read in PostgreSQL's binary COPY format rather than as result rows: a day at 1 Hz is 86,400 rows,
 * and turning each into a row object (text or binary protocol) costs node-postgres ~100 ms, while
 * the same bytes decoded straight into typed arrays take a few. (Simplifying in PostGIS instead
 * would first build the line with ST_MakeLine: 120–230 ms for those 86,400 points alone, measured.)
 * The point goes out as its EWKB, cheaper for the server than ST_X and ST_Y; altitude and battery
 * are two more float4 columns (4 bytes when NULL, 8 otherwise) for the simplified track's charts.
 * COPY takes no bind parameters, so the literals are built here from values that cannot carry SQL:
 * a checked UUID and ISO timestamps.
 */
const copySql = (client: PoolClient, vehicleId: string, period: Period) => `
COPY (SELECT ts, point, speed_kmh, heading, accuracy, altitude, battery
        FROM positions
       WHERE vehicle_id = ${client.escapeLiteral(vehicleId)}::uuid
         AND ts >= ${client.escapeLiteral(period.from.toISOString())}::timestamptz
         AND ts < ${client.escapeLiteral(period.to.toISOString())}::timestamptz
       ORDER BY ts) TO STDOUT (FORMAT binary)`;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** PostgreSQL timestamps count microseconds from 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const FIELDS = 7;
const EWKB_SRID_FLAG = 0x20000000;

/** The fixes of one vehicle in [from, to), ascending time. The caller keeps the window small (≤ 36 hours). */
export async function readCompact(client: PoolClient, vehicleId: string, period: Period): Promise<CompactTrack> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(copySql(client, vehicleId, period)))) chunks.push(chunk as Buffer);
  return decodeBinaryCopy(Buffer.concat(chunks));
}

/** Decodes the COPY output of `copySql` (exported for its unit test). */
export function decodeBinaryCopy(buf: Buffer): CompactTrack {
  if (buf.length < 19 || !buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 15;
  o += 4 + view.getUint32(o); // header extension
  // A row takes at least 59 bytes (count, 7 lengths, ts, a 21-byte WKB point): an upper bound, trimmed at the end.
  const cap = Math.floor((buf.length - o) / (2 + FIELDS * 4 + 8 + 21));
  const track = allocate(cap);
  // The float4 columns after the point, in the SELECT's order.
  const reals = [track.speedKmh, track.heading, track.accuracy, track.altitude, track.battery];
  let n = 0;
  for (;;) {
    const fields = view.getInt16(o);
    o += 2;
    if (fields === -1) break;
    if (fields !== FIELDS) throw new Error(`binary COPY row with ${fields} fields, expected ${FIELDS}`);
    // ts (int8, µs since 2000): the high word times 2^32 is exact in a double; to ms, rounded.
    o += 4;
    const micros = view.getInt32(o) * 4_294_967_296 + view.getUint32(o + 4);
    track.t[n] = PG_EPOCH_MS + Math.round(micros / 1000);
    o += 8;
    // EWKB point: byte order, type (with the SRID flag), SRID, x, y.
    const len = view.getInt32(o);
    o += 4;
    const le = view.getUint8(o) === 1;
    const xy = o + 5 + (view.getUint32(o + 1, le) & EWKB_SRID_FLAG ? 4 : 0);
    track.lon[n] = view.getFloat64(xy, le);
    track.lat[n] = view.getFloat64(xy + 8, le);
    o += len;
    for (const column of reals) {
      const size = view.getInt32(o);
      o += 4;
      if (size < 0) column[n] = NaN;
      else {
        column[n] = view.getFloat32(o);
        o += size;
      }
    }
    n++;
  }
  return trim(track, n);
}

function allocate(n: number): CompactTrack {
  return {
    n,
    t: new Float64Array(n),
    lat: new Float64Array(n),
    lon: new Float64Array(n),
    speedKmh: new Float32Array(n),
    heading: new Float32Array(n),
    accuracy: new Float32Array(n),
    altitude: new Float32Array(n),
    battery: new Float32Array(n),
  };
}

function trim(c: CompactTrack, n: number): CompactTrack {
  return {
    n,
    t: c.t.subarray(0, n),
    lat: c.lat.subarray(0, n),
    lon: c.lon.subarray(0, n),
    speedKmh: c.speedKmh.subarray(0, n),
    heading: c.heading.subarray(0, n),
    accuracy: c.accuracy.subarray(0, n),
    altitude: c.altitude.subarray(0, n),
    battery: c.battery.subarray(0, n),
  };
}

/** Planner settings for one vehicle's history, local to the current transaction. */
export const HISTORY_PLAN_SQL =
  // The (vehicle_id, ts) primary key is the only sensible path for one vehicle's period, but with a
  // few very chatty vehicles the estimates swing to a parallel sequential scan of the partition (a
  // hundred times slower); and JIT compiling costs more than the whole query.
  "SELECT set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)";
