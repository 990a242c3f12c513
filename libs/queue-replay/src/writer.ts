import { cleanText } from '@fleet/contracts';
import { withTransaction } from '@fleet/db';
import type { Pool, PoolClient } from 'pg';
import { columnsToPositions, decodeBatch, encodeBatch } from './codec';
import type { NormalizedPosition } from './types';

/** One staged request to write: its staging row, its payload exactly as staged, its fix count. */
export interface WriteItem {
  stagingId: string;
  payload: string;
  count: number;
}

/** A fix PostgreSQL refused on its own, after its batch was split down to it. */
export interface DeadLetterFix {
  /** Index of the staged request in the items given to writeBatch. */
  item: number;
  stagingId: string;
  protocol: string;
  /** Null when it is not a valid uuid (the fix may be refused for that very reason). */
  vehicleId: string | null;
  /** Epoch ms; null when PostgreSQL could not hold it. */
  ts: number | null;
  /** The fix as a one-position staged batch (codec.ts), replayable through this writer. */
  fix: string;
  /** PostgreSQL's error message. */
  reason: string;
  /** A short, bounded label for metrics (`numeric_value_out_of_range`, `malformed`…). */
  code: string;
}

/** A staged request that does not decode at all: no fix of it can be isolated. */
export interface UndecodableItem {
  /** Index of the staged request in the items given to writeBatch. */
  item: number;
  stagingId: string;
  reason: string;
}

export interface WriteResult<T = undefined> {
  /** Positions in the batch. */
  received: number;
  /** Rows inserted (new vehicle and timestamp). */
  stored: number;
  /** Stored rows replaced by a better fix of the same vehicle and timestamp (the same-timestamp rule). */
  replaced: number;
  /**
   * Fixes not stored because an equal or better fix of that vehicle and timestamp is stored or in the
   * same batch (a redelivery, a replay, a client retry, two fixes sharing a timestamp).
   */
  duplicates: number;
  /** Fixes of vehicles deleted while they were in flight: not stored. */
  droppedVehicleDeleted: number;
  /** Fixes PostgreSQL refused on their own; recorded in ingest_dead_letters unless told otherwise. */
  deadLetters: DeadLetterFix[];
  /** Staged requests that did not decode (only in a failing batch); their staging rows are marked. */
  undecodable: UndecodableItem[];
  /** The positions inserted or replaced, as given to `onInserted` (empty without the hook). */
  inserted: InsertedPosition[];
  /** What `onInserted` returned. */
  hook?: T;
}

/**
 * The same-timestamp rule (docs/ingestion.md): of two fixes of one vehicle with one timestamp, the
 * better one is stored, whatever the order they arrive in. Keys compared in order, each ascending
 * with unknown (NULL) last: accuracy (lower is better, a known one beats an unknown one); more
 * attribute keys; more measurements present; then the content itself (latitude, longitude, speed,
 * heading, altitude, battery, attributes in jsonb's own order) so that the choice is total and
 * deterministic. Identical content is a duplicate, never a replacement.
 */
interface RankSide {
  accuracy: string;
  attributes: string;
  speed: string;
  heading: string;
  altitude: string;
  battery: string;
  lat: string;
  lon: string;
}

function rankKeys(s: RankSide): string[] {
  // Only objects have keys; anything else counts as none (and cannot make the statement fail).
  const keyCount = `(CASE WHEN jsonb_typeof(${s.attributes}) = 'object' THEN (SELECT count(*) FROM jsonb_object_keys(${s.attributes})) ELSE 0 END)`;
  return [
    s.accuracy,
    `-${keyCount}`,
    `-num_nonnulls(${s.speed}, ${s.heading}, ${s.altitude}, ${s.accuracy}, ${s.battery})`,
    s.lat,
    s.lon,
    s.speed,
    s.heading,
    s.altitude,
    s.battery,
    s.attributes,
  ];
}

const orderBy = (keys: string[]) => keys.map((k) => `${k} ASC NULLS LAST`).join(', ');

/** SQL true when the fix whose keys are `a` is strictly better than `b` (same order as orderBy). */
function better(a: string[], b: string[]): string {
  if (!a.length) return 'false';
  const [x, ...restA] = a;
  const [y, ...restB] = b;
  return `((${x}) IS NOT NULL AND ((${y}) IS NULL OR (${x}) < (${y})) OR (${x}) IS NOT DISTINCT FROM (${y}) AND ${better(restA, restB)})`;
}

const columns = (prefix: string): RankSide => ({
  accuracy: `${prefix}accuracy`,
  attributes: `${prefix}attributes`,
  speed: `${prefix}speed_kmh`,
  heading: `${prefix}heading`,
  altitude: `${prefix}altitude`,
  battery: `${prefix}battery`,
  lat: `ST_Y(${prefix}point)`,
  lon: `ST_X(${prefix}point)`,
});
const INPUT_KEYS = rankKeys({ ...columns(''), lat: 'lat', lon: 'lon' });
const EXCLUDED_KEYS = rankKeys(columns('EXCLUDED.'));
const POSITION_KEYS = rankKeys(columns('positions.'));
const STATE_KEYS = rankKeys(columns('vehicle_state.'));

// One set-based statement for the whole batch. The staged payloads (codec.ts, version 2) travel as
// one jsonb array and PostgreSQL unpacks their columns itself: the worker neither parses nor
// re-serialises positions. A payload PostgreSQL refuses makes the statement fail, and the writer
// isolates the culprit (writeBatch). Fixes of vehicles deleted meanwhile are dropped; fixes sharing a
// vehicle and timestamp are reduced to the better one (the same-timestamp rule), first within the
// batch (ON CONFLICT cannot touch one row twice in a statement), then against the stored row.
// Rows inserted by this statement carry its statement_timestamp() as received_at, which is how
// RETURNING tells them from replaced rows (RETURNING xmax is not available on a partitioned table).
// Each vehicle's latest state moves forward only to a newer fix, or to a better one of the same time.
function writeSql(options: { returning: boolean; keys: boolean; unique?: boolean }): string {
  const base = `
WITH batch AS (
  SELECT value AS p FROM jsonb_array_elements($1::jsonb)
),
input AS (
  SELECT (b.p->'veh'->>COALESCE(r.vi::int, 0))::uuid AS vehicle_id,
         b.p->>'p' AS protocol,
         timestamptz 'epoch' + r.ts::bigint * interval '1 millisecond' AS ts,
         r.lat::float8 AS lat, r.lon::float8 AS lon,
         r.spd::real AS speed_kmh, r.hdg::real AS heading, r.alt::real AS altitude, r.acc::real AS accuracy, r.bat::real AS battery,
         NULLIF(r.att, 'null'::jsonb) AS attributes
    FROM batch b,
         ROWS FROM (
           jsonb_array_elements_text(b.p->'ts'), jsonb_array_elements_text(b.p->'lat'), jsonb_array_elements_text(b.p->'lon'),
           jsonb_array_elements_text(b.p->'vi'), jsonb_array_elements_text(b.p->'spd'), jsonb_array_elements_text(b.p->'hdg'),
           jsonb_array_elements_text(b.p->'alt'), jsonb_array_elements_text(b.p->'acc'), jsonb_array_elements_text(b.p->'bat'),
           jsonb_array_elements(b.p->'att')
         ) AS r(ts, lat, lon, vi, spd, hdg, alt, acc, bat, att)
   WHERE (b.p->>'v')::int = 2
),
known AS (
  SELECT v.id, v.organization_id, v.speed_limit_kmh FROM vehicles v
   WHERE v.id IN (SELECT DISTINCT vehicle_id FROM input)
),
kept AS (
  SELECT i.*, k.organization_id FROM input i JOIN known k ON k.id = i.vehicle_id
),
${
  options.unique
    ? `-- The writer checked that no two fixes share their vehicle and timestamp: nothing to reduce.
unique_fixes AS (
  SELECT * FROM kept
),`
    : `-- The rule's keys are computed only for fixes that share their vehicle and timestamp (rare).
counted AS (
  SELECT k.*, count(*) OVER (PARTITION BY k.vehicle_id, k.ts) AS sharing FROM kept k
),
unique_fixes AS (
  SELECT DISTINCT ON (vehicle_id, ts) * FROM counted
   ORDER BY vehicle_id, ts, ${orderBy(INPUT_KEYS.map((k) => `CASE WHEN sharing > 1 THEN ${k} END`))}
),`
}
written AS (
  INSERT INTO positions AS positions (vehicle_id, ts, received_at, point, speed_kmh, heading, altitude, accuracy, battery, protocol, attributes)
  SELECT vehicle_id, ts, statement_timestamp(), ST_SetSRID(ST_MakePoint(lon, lat), 4326), speed_kmh, heading, altitude, accuracy, battery, protocol, attributes
    FROM unique_fixes
  ON CONFLICT (vehicle_id, ts) DO UPDATE SET
    point = EXCLUDED.point, speed_kmh = EXCLUDED.speed_kmh, heading = EXCLUDED.heading, altitude = EXCLUDED.altitude,
    accuracy = EXCLUDED.accuracy, battery = EXCLUDED.battery, protocol = EXCLUDED.protocol, attributes = EXCLUDED.attributes
  WHERE ${better(EXCLUDED_KEYS, POSITION_KEYS)}
  RETURNING vehicle_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, attributes,
            received_at <> statement_timestamp() AS replaced
),
-- unique_fixes has one fix per vehicle and timestamp already: the newest is the latest (a hash
-- aggregate and join, not a sort of the whole batch).
latest AS (
  SELECT u.* FROM unique_fixes u
    JOIN (SELECT vehicle_id, max(ts) AS ts FROM unique_fixes GROUP BY vehicle_id) m
      ON m.vehicle_id = u.vehicle_id AND m.ts = u.ts
),
state AS (
  INSERT INTO vehicle_state AS vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, attributes, updated_at)
  SELECT vehicle_id, organization_id, ts, ST_SetSRID(ST_MakePoint(lon, lat), 4326), speed_kmh, heading, altitude, accuracy, battery, attributes, now()
    FROM latest
  ON CONFLICT (vehicle_id) DO UPDATE SET
    ts = EXCLUDED.ts, point = EXCLUDED.point, speed_kmh = EXCLUDED.speed_kmh, heading = EXCLUDED.heading,
    altitude = EXCLUDED.altitude, accuracy = EXCLUDED.accuracy, battery = EXCLUDED.battery,
    attributes = EXCLUDED.attributes, updated_at = now()
  WHERE vehicle_state.ts < EXCLUDED.ts OR vehicle_state.ts = EXCLUDED.ts AND ${better(EXCLUDED_KEYS, STATE_KEYS)}
  RETURNING 1
)${
    options.returning
      ? `,
-- What the hook is given (see below), per vehicle written: its oldest and newest fix of the batch,
-- and whether event rules apply to it along the way (a speed limit, or geofences in its organization).
fenced AS (
  SELECT DISTINCT g.organization_id FROM geofences g
   WHERE g.organization_id IN (SELECT organization_id FROM known)
),
ends AS (
  SELECT e.*, k.organization_id, k.speed_limit_kmh,
         k.speed_limit_kmh IS NOT NULL OR k.organization_id IN (SELECT organization_id FROM fenced) AS ruled
    FROM (SELECT vehicle_id, min(ts) AS oldest, max(ts) AS newest FROM written GROUP BY vehicle_id) e
    JOIN known k ON k.id = e.vehicle_id
)`
      : ''
  }
SELECT (SELECT count(*) FROM input)::int AS received,
       (SELECT count(*) FROM kept)::int AS kept,
       (SELECT count(*) FROM written WHERE NOT replaced)::int AS stored,
       (SELECT count(*) FROM written WHERE replaced)::int AS replaced`;
  // Every written row, as keys, when the writer has to reconcile the counts of several statements.
  const keys = options.keys
    ? `,
  (SELECT json_agg(json_build_array(w.vehicle_id, (extract(epoch FROM w.ts) * 1000)::bigint, w.replaced)) FROM written w) AS keys`
    : '';
  // Also returning what it wrote (for event detection and the live feed), in time order per vehicle.
  // Every fix is returned in full for vehicles that event rules can apply to along the way; for the
  // others only their oldest and newest fix, which is all the online rule (back online at the first
  // fix) and the live feed (the newest) need — a 5,000-fix upload of a vehicle without rules returns
  // two full rows, not 5,000. Their fixes in between come apart (\`between\`), compactly, with only what
  // the maintenance counters read (time, place, the ignition and odometer attributes, replaced): one
  // element per vehicle, [vehicle_id, [[ts, lat, lon, ignition, odometer, replaced], …]], in no order.
  const returning = options.returning
    ? `,
  (SELECT json_agg(json_build_array(w.vehicle_id, e.organization_id, (extract(epoch FROM w.ts) * 1000)::bigint,
                                    ST_Y(w.point), ST_X(w.point), w.speed_kmh, w.heading, w.altitude, w.accuracy,
                                    w.battery, w.attributes, e.speed_limit_kmh, w.replaced)
                   ORDER BY w.vehicle_id, w.ts)
     FROM written w JOIN ends e ON e.vehicle_id = w.vehicle_id
    WHERE e.ruled OR w.ts = e.oldest OR w.ts = e.newest) AS rows,
  (SELECT json_agg(json_build_array(b.vehicle_id, b.fixes))
     FROM (SELECT w.vehicle_id,
                  json_agg(json_build_array((extract(epoch FROM w.ts) * 1000)::bigint, ST_Y(w.point), ST_X(w.point),
                                            w.attributes->'ignition', w.attributes->'odometer', w.replaced)) AS fixes
             FROM written w JOIN ends e ON e.vehicle_id = w.vehicle_id
            WHERE NOT e.ruled AND w.ts <> e.oldest AND w.ts <> e.newest
            GROUP BY w.vehicle_id) b) AS between`
    : '';
  return base + keys + returning;
}

// Prepared once per connection (named statements): planning this statement costs a few
// milliseconds, a tenth of a 1,000-fix write.
const statement = (name: string, options: { returning: boolean; keys: boolean; unique?: boolean }) => ({
  name: `fleet-write-${name}`,
  text: writeSql(options),
});
type Statement = ReturnType<typeof statement>;
const SQL = {
  plain: statement('plain', { returning: false, keys: false }),
  returning: statement('returning', { returning: true, keys: false }),
  plainUnique: statement('plain-unique', { returning: false, keys: false, unique: true }),
  returningUnique: statement('returning-unique', { returning: true, keys: false, unique: true }),
  plainKeys: statement('plain-keys', { returning: false, keys: true }),
  returningKeys: statement('returning-keys', { returning: true, keys: true }),
};

/**
 * A position this batch inserted, or replaced under the same-timestamp rule (`replaced`): every one
 * for vehicles with event rules, the oldest and newest for the others (the rest: InBetweenFix, see
 * writeSql). Speeds in km/h; `ts` in epoch ms.
 */
export interface InsertedPosition {
  vehicleId: string;
  organizationId: string;
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  heading: number | null;
  altitude: number | null;
  accuracy: number | null;
  battery: number | null;
  attributes: Record<string, unknown> | null;
  /** The vehicle's configured limit, for overspeed detection. */
  speedLimitKmh: number | null;
  /**
   * True when a stored fix of this vehicle and timestamp was replaced by this better one: the
   * vehicle's events from this timestamp on may need re-evaluating.
   */
  replaced: boolean;
}

/**
 * A fix this batch inserted or replaced that `inserted` leaves out: written between the oldest and
 * newest of its vehicle in the batch, the vehicle having no event rules (see writeSql). Only what the
 * maintenance counters read; `ignition` and `odometer` are those attributes as stored (any JSON value,
 * null when absent).
 */
export interface InBetweenFix {
  vehicleId: string;
  ts: number;
  lat: number;
  lon: number;
  ignition: unknown;
  odometer: unknown;
  replaced: boolean;
}

/** [ts, lat, lon, ignition, odometer, replaced] of one vehicle's in-between fix, as writeSql returns it. */
type BetweenTuple = [number | string, number, number, unknown, unknown, boolean];
type BetweenOfVehicle = [string, BetweenTuple[]];

function toBetween(rows: BetweenOfVehicle[] | null | undefined): InBetweenFix[] {
  const out: InBetweenFix[] = [];
  for (const [vehicleId, fixes] of rows ?? [])
    for (const f of fixes)
      out.push({ vehicleId, ts: Number(f[0]), lat: f[1], lon: f[2], ignition: f[3], odometer: f[4], replaced: f[5] });
  return out;
}

type InsertedTuple = [
  string,
  string,
  number | string,
  number,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  Record<string, unknown> | null,
  number | null,
  boolean,
];

function toInserted(t: InsertedTuple): InsertedPosition {
  return {
    vehicleId: t[0],
    organizationId: t[1],
    ts: Number(t[2]),
    lat: t[3],
    lon: t[4],
    speedKmh: t[5],
    heading: t[6],
    altitude: t[7],
    accuracy: t[8],
    battery: t[9],
    attributes: t[10],
    speedLimitKmh: t[11],
    replaced: t[12],
  };
}

export interface WriteOptions<T> {
  /**
   * Runs inside the write transaction with the positions actually inserted or replaced, before
   * COMMIT: what it writes (events, their webhook deliveries) commits or rolls back with the
   * positions, so a redelivered batch — whose positions are already stored — never produces it twice.
   * `between` holds the other fixes written, those `inserted` leaves out, compactly (InBetweenFix).
   */
  onInserted?: (client: PoolClient, inserted: InsertedPosition[], between: InBetweenFix[]) => Promise<T>;
  /**
   * Record poison fixes in ingest_dead_letters (default). The dead-letter replay turns it off: a fix
   * that still fails keeps its existing row.
   */
  recordDeadLetters?: boolean;
}

/** A staged batch that decodes to more or fewer fixes than were staged. */
class MalformedBatchError extends Error {
  readonly code = 'malformed';
}

// Data exceptions (22: out of range, invalid text, untranslatable character…), integrity violations
// (23) and program limits (54: too deep, too large) belong to the data: split the batch to find the
// fixes that cause them. Anything else (a lost connection, a deadlock, a bug) fails the whole write.
const POISON_CLASSES = ['22', '23', '54'];

function isPoisonError(err: unknown): boolean {
  if (err instanceof MalformedBatchError) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && POISON_CLASSES.includes(code.slice(0, 2));
}

const SQLSTATE_NAMES: Record<string, string> = {
  '22003': 'numeric_value_out_of_range',
  '22P05': 'untranslatable_character',
  '22P02': 'invalid_text_representation',
  '22008': 'datetime_field_overflow',
  '22007': 'invalid_datetime_format',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22032': 'invalid_json_text',
  '54000': 'program_limit_exceeded',
  '54001': 'statement_too_complex',
};

/** A bounded label for an error: a name for the usual SQLSTATEs, else the code itself. */
function errorLabel(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return 'write_failed';
  return SQLSTATE_NAMES[code] ?? (/^[0-9A-Z]{5}$/.test(code) ? `sqlstate_${code}` : code);
}

const message = (err: unknown) => cleanText(err instanceof Error ? err.message : String(err)).slice(0, 2000);

/** Part of a batch handed to one statement: whole staged requests, or some fixes of one. */
interface Unit {
  /** Index of its staged request in writeBatch's items. */
  item: number;
  stagingId: string;
  payload: string;
  count: number;
  /** The decoded fixes and protocol, once the unit stands for fixes of a request. */
  fixes?: { protocol: string; positions: NormalizedPosition[] };
}

interface Part {
  received: number;
  kept: number;
  stored: number;
  replaced: number;
  keys?: Array<[string, number | string, boolean]> | null;
  rows?: InsertedTuple[] | null;
  between?: BetweenOfVehicle[] | null;
}

async function writePart(client: PoolClient, units: Unit[], sql: Statement): Promise<Part> {
  const expected = units.reduce((sum, u) => sum + u.count, 0);
  const res = await client.query<Part>({ ...sql, values: [`[${units.map((u) => u.payload).join(',')}]`] });
  const part = res.rows[0];
  // A payload that decodes to fewer (or more) rows than were staged is malformed.
  if (part.received !== expected)
    throw new MalformedBatchError(`staged batch decoded to ${part.received} positions, ${expected} were staged`);
  return part;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// What timestamptz can hold, comfortably (4713 BC .. 294276 AD, JavaScript's Date stops earlier).
const storableTs = (ts: number) => Number.isFinite(ts) && ts >= -2.1e14 && ts <= 8.64e15;

function deadLetterOf(
  unit: Pick<Unit, 'item' | 'stagingId'>,
  protocol: string,
  position: NormalizedPosition,
  err: unknown,
): DeadLetterFix {
  return {
    item: unit.item,
    stagingId: unit.stagingId,
    protocol,
    vehicleId: typeof position.vehicleId === 'string' && UUID.test(position.vehicleId) ? position.vehicleId : null,
    ts: storableTs(position.ts) ? position.ts : null,
    fix: encodeBatch({ protocol, positions: [position] }),
    reason: message(err),
    code: err instanceof MalformedBatchError ? 'malformed' : errorLabel(err),
  };
}

/** The fixes of one staged request (throws when it does not decode). */
function fixesOf(unit: Unit): { protocol: string; positions: NormalizedPosition[] } {
  if (unit.fixes) return unit.fixes;
  const columns = decodeBatch(unit.payload);
  const positions = columnsToPositions(columns);
  if (positions.length !== unit.count)
    throw new Error(`staged batch holds ${positions.length} positions, ${unit.count} were staged`);
  return { protocol: columns.protocol, positions };
}

function fixUnit(of: Unit, protocol: string, positions: NormalizedPosition[]): Unit {
  return {
    item: of.item,
    stagingId: of.stagingId,
    payload: encodeBatch({ protocol, positions }),
    count: positions.length,
    fixes: { protocol, positions },
  };
}

/**
 * After a statement failed because of its data: bisect, in savepoints of one transaction, first by
 * staged request, then by fix within a request, until only fixes that fail on their own are left.
 * Everything else is written in the same pass; about 2·log2(n) statements per poison fix.
 */
async function isolate(client: PoolClient, units: Unit[], sql: Statement) {
  const parts: Part[] = [];
  const deadLetters: DeadLetterFix[] = [];
  const undecodable: UndecodableItem[] = [];
  const attempt = async (batch: Unit[]): Promise<void> => {
    await client.query('SAVEPOINT isolate');
    try {
      parts.push(await writePart(client, batch, sql));
      await client.query('RELEASE SAVEPOINT isolate');
      return;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT isolate');
      await client.query('RELEASE SAVEPOINT isolate');
      if (!isPoisonError(err)) throw err;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await attempt(batch.slice(0, half));
        await attempt(batch.slice(half));
        return;
      }
      const unit = batch[0];
      let fixes: { protocol: string; positions: NormalizedPosition[] };
      try {
        fixes = fixesOf(unit);
      } catch (decodeError) {
        undecodable.push({
          item: unit.item,
          stagingId: unit.stagingId,
          reason: `undecodable: ${message(decodeError)}`,
        });
        return;
      }
      if (fixes.positions.length === 1) {
        deadLetters.push(deadLetterOf(unit, fixes.protocol, fixes.positions[0], err));
        return;
      }
      const half = Math.ceil(fixes.positions.length / 2);
      await attempt([fixUnit(unit, fixes.protocol, fixes.positions.slice(0, half))]);
      await attempt([fixUnit(unit, fixes.protocol, fixes.positions.slice(half))]);
    }
  };
  await attempt(units);
  return { parts, deadLetters, undecodable };
}

/**
 * The parts of a bisected write, as one: a row inserted by one statement and replaced by a later one
 * of the same transaction is one stored row (the better fix), not a replacement.
 */
function combine(parts: Part[]) {
  const written = new Map<string, boolean>();
  for (const part of parts)
    for (const [vehicleId, ts, replaced] of part.keys ?? []) {
      const key = `${vehicleId}|${ts}`;
      const before = written.get(key);
      written.set(key, before === undefined ? replaced : before && replaced);
    }
  const stored = [...written.values()].filter((replaced) => !replaced).length;
  const rows = new Map<string, InsertedTuple>();
  for (const part of parts)
    for (const row of part.rows ?? []) {
      const key = `${row[0]}|${row[2]}`;
      rows.set(key, [...row.slice(0, 12), written.get(key) ?? row[12]] as InsertedTuple);
    }
  const inserted = [...rows.values()]
    .map(toInserted)
    .sort((a, b) => (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : a.ts - b.ts));
  // A fix in between in one part may be an end (a full row) of another: it is given once, in full.
  const between = new Map<string, InBetweenFix>();
  for (const part of parts)
    for (const f of toBetween(part.between)) {
      const key = `${f.vehicleId}|${f.ts}`;
      if (!rows.has(key)) between.set(key, { ...f, replaced: written.get(key) ?? f.replaced });
    }
  return {
    received: parts.reduce((sum, p) => sum + p.received, 0),
    kept: parts.reduce((sum, p) => sum + p.kept, 0),
    stored,
    replaced: written.size - stored,
    inserted,
    between: [...between.values()],
  };
}

// A request redelivered after its write committed (the worker died before XACK, a replay) finds its
// poison fixes dead-lettered already: they are not recorded twice.
async function recordDeadLetters(client: PoolClient, deadLetters: DeadLetterFix[]): Promise<void> {
  if (!deadLetters.length) return;
  await client.query(
    `INSERT INTO ingest_dead_letters (staging_id, protocol, vehicle_id, ts, fix, reason)
     SELECT s, p, v, CASE WHEN t IS NULL THEN NULL ELSE timestamptz 'epoch' + t * interval '1 millisecond' END, f, r
       FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::bigint[], $5::json[], $6::text[]) AS d(s, p, v, t, f, r)
      WHERE NOT EXISTS (SELECT 1 FROM ingest_dead_letters x WHERE x.staging_id = d.s AND x.fix::text = d.f::text)`,
    [
      deadLetters.map((d) => d.stagingId),
      deadLetters.map((d) => cleanText(d.protocol)),
      deadLetters.map((d) => d.vehicleId),
      deadLetters.map((d) => (d.ts === null ? null : Math.trunc(d.ts))),
      deadLetters.map((d) => d.fix),
      deadLetters.map((d) => d.reason),
    ],
  );
}

/**
 * Step (3) and (5) of the ingestion contract for a batch of staged requests, in one transaction:
 * positions inserted (the same-timestamp rule applied, fixes of deleted vehicles dropped),
 * vehicle_state moved forward, staging rows marked processed. `payload` is the staged JSON exactly
 * as stored and published.
 *
 * The normal path is one statement. When it fails because of the data, the transaction starts over
 * and the batch is bisected down to the fixes that fail on their own (isolate): the others are
 * stored in that same pass, each poison fix becomes a row of ingest_dead_letters with PostgreSQL's
 * reason, and the staging rows are marked processed. Any other failure (PostgreSQL unreachable, a
 * deadlock, a failing hook) rolls everything back and is thrown.
 */
export async function writeBatch<T = undefined>(
  pool: Pool,
  items: WriteItem[],
  options: WriteOptions<T> = {},
): Promise<WriteResult<T>> {
  // Its own transaction, not withTransaction: it rolls back and begins again mid-way to isolate poison
  // fixes, and BEGIN takes the batch's vehicle locks (begin below).
  const client = await pool.connect();
  // A checked-out client whose server goes away emits 'error'; unheard, it would crash the process.
  // The failing query rejects as well, which is where we handle it.
  const onError = () => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  const units: Unit[] = items.map((i, item) => ({ item, stagingId: i.stagingId, payload: i.payload, count: i.count }));
  try {
    await begin(client, units);
    let written: ReturnType<typeof combine>;
    let deadLetters: DeadLetterFix[] = [];
    let undecodable: UndecodableItem[] = [];
    try {
      const full = options.onInserted ? SQL.returning : SQL.plain;
      let part: Part;
      if (fixesAreUnique(units)) {
        try {
          part = await writePart(client, units, options.onInserted ? SQL.returningUnique : SQL.plainUnique);
        } catch (err) {
          // 21000: ON CONFLICT met one row twice, so two fixes did share their vehicle and timestamp
          // (a payload not laid out as the codec writes it fooled the check): the full statement decides.
          if ((err as { code?: unknown }).code !== '21000') throw err;
          await client.query('ROLLBACK');
          await begin(client, units);
          part = await writePart(client, units, full);
        }
      } else part = await writePart(client, units, full);
      written = {
        received: part.received,
        kept: part.kept,
        stored: part.stored,
        replaced: part.replaced,
        inserted: (part.rows ?? []).map(toInserted),
        between: toBetween(part.between),
      };
    } catch (err) {
      if (!isPoisonError(err)) throw err;
      await client.query('ROLLBACK');
      await begin(client, units);
      const isolated = await isolate(client, units, options.onInserted ? SQL.returningKeys : SQL.plainKeys);
      written = combine(isolated.parts);
      deadLetters = isolated.deadLetters;
      undecodable = isolated.undecodable;
      if (options.recordDeadLetters !== false) await recordDeadLetters(client, deadLetters);
    }
    await client.query(
      'UPDATE ingest_staging SET processed_at = now() WHERE id = ANY($1::bigint[]) AND processed_at IS NULL',
      [items.map((i) => i.stagingId)],
    );
    if (undecodable.length)
      await client.query(
        `UPDATE ingest_staging s SET dead_letter_reason = u.reason
           FROM unnest($1::bigint[], $2::text[]) AS u(id, reason) WHERE s.id = u.id`,
        [undecodable.map((u) => u.stagingId), undecodable.map((u) => u.reason)],
      );
    const hook = options.onInserted ? await options.onInserted(client, written.inserted, written.between) : undefined;
    await client.query('COMMIT');
    const undecodableCount = undecodable.reduce((sum, u) => sum + items[u.item].count, 0);
    const received = written.received + deadLetters.length + undecodableCount;
    const droppedVehicleDeleted = written.received - written.kept;
    return {
      received,
      stored: written.stored,
      replaced: written.replaced,
      duplicates: written.kept - written.stored - written.replaced,
      droppedVehicleDeleted,
      deadLetters,
      undecodable,
      inserted: written.inserted,
      hook,
    };
  } catch (err) {
    // A connection that cannot even roll back is discarded, not returned to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

// Advisory lock namespace of "a vehicle's positions are being written / the vehicle is being deleted".
const VEHICLE_LOCK = 0x666c7476;

/** A number array of a staged payload (`"ts":[…]`), read off without parsing the rest; undefined if absent. */
function numbersOf(payload: string, key: string): string[] | undefined {
  const list = new RegExp(`"${key}":\\[([^\\]]*)\\]`).exec(payload)?.[1];
  return list === undefined ? undefined : list ? list.split(',') : [];
}

/**
 * Whether no two fixes of the staged payloads share their vehicle and timestamp, read off the codec's
 * `veh`, `vi` and `ts` lists without parsing the rest (a few milliseconds for 5,000 fixes). Then the
 * statement skips the same-timestamp reduction and its sort. Anything unexpected answers false: the
 * full statement is always correct.
 */
function fixesAreUnique(units: Array<{ payload: string }>): boolean {
  const seen = new Set<string>();
  let total = 0;
  for (const u of units) {
    const veh = /"veh":\[([^\]]*)\]/.exec(u.payload)?.[1]?.split(',');
    const ts = numbersOf(u.payload, 'ts');
    if (!veh || !ts) return false;
    const vi = veh.length > 1 ? numbersOf(u.payload, 'vi') : undefined;
    if (veh.length > 1 && vi?.length !== ts.length) return false;
    const ids = veh.map((v) => v.replace(/"/g, '').toLowerCase());
    for (let k = 0; k < ts.length; k++) {
      const id = ids[vi ? Number(vi[k]) : 0];
      const at = Number(ts[k]);
      if (id === undefined || !Number.isSafeInteger(at)) return false;
      seen.add(`${id}|${at}`);
    }
    total += ts.length;
  }
  return seen.size === total;
}

/** The vehicle ids of staged payloads, read off the codec's `veh` list without parsing the rest. */
function vehiclesOf(units: Array<{ payload: string }>): string[] {
  const ids = new Set<string>();
  for (const u of units) {
    const list = /"veh":\[([^\]]*)\]/.exec(u.payload)?.[1];
    for (const quoted of list ? list.split(',') : []) {
      const id = quoted.replace(/"/g, '');
      if (UUID.test(id)) ids.add(id.toLowerCase());
    }
  }
  return [...ids].sort();
}

/**
 * Opens the write transaction and takes a shared per-vehicle lock for the batch's vehicles, in a
 * statement of its own so that the write's snapshot is taken after it: a vehicle deletion
 * (lockVehicleForDelete) either commits before the write reads `vehicles` (its fixes are dropped),
 * or waits for the write to commit and then deletes what it wrote. Writers never block each other.
 */
async function begin(client: PoolClient, units: Array<{ payload: string }>): Promise<void> {
  // Not waiting for the WAL flush (synchronous_commit off, this transaction only) is safe here and
  // only here: everything it writes is derived from staging rows that were committed durably before
  // any client got its 2xx. A crash may lose the last of these commits, never part of one; their
  // staging rows are then unprocessed again and the replayer writes them anew (idempotently). The
  // writer's commits no longer wait on the disk, nor queue their flushes ahead of staging commits.
  await client.query('BEGIN; SET LOCAL synchronous_commit TO off');
  const vehicles = vehiclesOf(units);
  if (vehicles.length)
    await client.query('SELECT count(pg_advisory_xact_lock_shared($1, hashtext(v))) FROM unnest($2::text[]) AS v', [
      VEHICLE_LOCK,
      vehicles,
    ]);
}

/**
 * Inside the transaction that deletes a vehicle and its positions, before deleting anything: waits for
 * writes of that vehicle in flight and keeps new ones out until the deletion commits, so no fix of it
 * is stored after its positions were deleted.
 */
export async function lockVehicleForDelete(client: PoolClient, vehicleId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [VEHICLE_LOCK, vehicleId.toLowerCase()]);
}

/**
 * Gives up on whole staged requests (a write that keeps failing for a reason other than its data,
 * such as a failing event hook): every fix becomes a dead letter with `reason`, replayable later, and
 * the staging rows are marked processed. Throws when a payload does not decode (the caller keeps the
 * message-level dead letter for those).
 */
export async function deadLetterItems(pool: Pool, items: WriteItem[], reason: string): Promise<DeadLetterFix[]> {
  const deadLetters = items.flatMap((i, item) => {
    const { protocol, positions } = fixesOf({ ...i, item });
    return positions.map((p) => ({
      ...deadLetterOf({ item, stagingId: i.stagingId }, protocol, p, new Error(reason)),
      code: 'write_failed',
    }));
  });
  await withTransaction(pool, async (client) => {
    await recordDeadLetters(client, deadLetters);
    await client.query(
      'UPDATE ingest_staging SET processed_at = now(), dead_letter_reason = $2 WHERE id = ANY($1::bigint[]) AND processed_at IS NULL',
      [items.map((i) => i.stagingId), cleanText(reason).slice(0, 1000)],
    );
  });
  return deadLetters;
}
