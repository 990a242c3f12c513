import { distanceM, fastDistanceM, metresPerDegree } from './geodesic';
import { toEpochMs } from './time';
import { GeoInputError, type LatLon } from './types';
import { isValidCoordinate } from './units';

// Math and Number read once: inside a vm context (jest runs every suite in one) each global lookup
// goes through an interceptor and costs more than the arithmetic of these loops.
const { abs, max, min, sqrt } = Math;
const { isFinite: finite } = Number;

/** A fix as trip/stop detection needs it: where, when, and optionally reported speed and accuracy. */
export interface MotionFix extends LatLon {
  ts: Date | number | string;
  /** Speed reported by the device (km/h), e.g. from GPS Doppler; preferred to positions when present. */
  speedKmh?: number | null;
  /** Horizontal accuracy in metres, as the device reports it. */
  accuracy?: number | null;
}

export interface TripStopOptions {
  /** A stay shorter than this is a halt inside a trip (idle), not a stop. Default 300 s. */
  minStopDurationS?: number;
  /** Fixes within this distance of a stay's centre belong to it; covers parked GPS jitter. Default 75 m. */
  stopRadiusM?: number;
  /** Movement shorter than this (path length) between stops is not a trip. Default 300 m. */
  minTripDistanceM?: number;
  /** Fixes whose reported accuracy is worse than this are ignored. Default 100 m. */
  maxAccuracyM?: number;
  /** A silence in the data at least this long is a data gap. Default 300 s. */
  gapS?: number;
  /**
   * A data gap whose displacement divided by its duration is at most this is a stop (the tracker
   * slept while parked); faster, it is driving without fixes (a tunnel). Default 3 km/h.
   */
  gapStopMaxSpeedKmh?: number;
  /** Fixes that leave a stay's radius but come back within this time are jitter. Default 60 s. */
  outlierWindowS?: number;
  /** A fix reached and left faster than this is a spike and ignored. Default 300 km/h. */
  maxPlausibleSpeedKmh?: number;
  /** Inside a trip, moving slower than this is idle (standing at a light, in a queue). Default 2 km/h. */
  idleSpeedKmh?: number;
  /** Window over which speed is measured from positions, smoothing GPS jitter. Default 30 s. */
  speedWindowS?: number;
  /**
   * Trip distance grows only once the vehicle is this far from the last counted fix, so fixes
   * wandering around a slow or standing vehicle do not add up to kilometres. Default 20 m.
   */
  jitterM?: number;
}

export const DEFAULT_TRIP_STOP_OPTIONS: Required<TripStopOptions> = {
  minStopDurationS: 300,
  stopRadiusM: 75,
  minTripDistanceM: 300,
  maxAccuracyM: 100,
  gapS: 300,
  gapStopMaxSpeedKmh: 3,
  outlierWindowS: 60,
  maxPlausibleSpeedKmh: 300,
  idleSpeedKmh: 2,
  speedWindowS: 30,
  jitterM: 20,
};

export interface Trip {
  startTime: Date;
  endTime: Date;
  startPoint: LatLon;
  endPoint: LatLon;
  /** Indices in the input of the trip's first and last fix (inclusive). */
  startIndex: number;
  endIndex: number;
  /** Path length over the trusted fixes (steps of at least `jitterM`), straight across data gaps. */
  distanceM: number;
  durationS: number;
  /** Highest reported speed, or if none was reported, the highest speed over `speedWindowS`. */
  maxSpeedKmh: number;
  /** distanceM / durationS: idle time included. */
  avgSpeedKmh: number;
  /** Time inside the trip spent slower than `idleSpeedKmh`. */
  idleS: number;
}

export interface Stop {
  startTime: Date;
  endTime: Date;
  durationS: number;
  /** Mean position of the stop's fixes (jitter excursions excluded). */
  centroid: LatLon;
  /** Indices in the input of the stop's first and last fix (inclusive). */
  startIndex: number;
  endIndex: number;
  /** Whether the stop bridges a data gap (a tracker asleep while parked). */
  spansDataGap: boolean;
}

export interface TripsAndStops {
  trips: Trip[];
  stops: Stop[];
  /** Fixes left out, by reason: invalid coordinates, accuracy worse than allowed, spikes, duplicate times. */
  ignored: { invalid: number; inaccurate: number; spike: number; duplicate: number };
}

/** The trusted fixes, as parallel arrays, with their index in the input. */
interface Fixes {
  n: number;
  index: Int32Array;
  t: Float64Array;
  lat: Float64Array;
  lon: Float64Array;
  /** Metres per degree of latitude / longitude at each fix, for cheap short distances. */
  kLat: Float64Array;
  kLon: Float64Array;
  /** Reported speed in km/h, NaN when unknown. */
  speed: Float64Array;
}

interface Cluster {
  start: number;
  end: number;
  count: number;
  sumLat: number;
  /** Longitudes relative to `lon0`, so a stay on the antimeridian averages correctly. */
  sumLon: number;
  lon0: number;
  spansDataGap: boolean;
}

function resolveOptions(options: TripStopOptions): Required<TripStopOptions> {
  const o = { ...DEFAULT_TRIP_STOP_OPTIONS };
  for (const key of Object.keys(o) as (keyof TripStopOptions)[]) {
    const value: unknown = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new GeoInputError(`options.${key}`, 'must be a finite number, 0 or more');
    o[key] = value;
  }
  if (o.stopRadiusM <= 0) throw new GeoInputError('options.stopRadiusM', 'must be more than 0');
  return o;
}

/**
 * Reads, checks and filters the fixes: times must not go backwards (the order a history query
 * returns), fixes with bad coordinates or poor accuracy are dropped, and so are spikes: a fix that
 * can only be reached and left at an impossible speed while its neighbours are consistent.
 */
function trustedFixes(points: readonly MotionFix[], o: Required<TripStopOptions>, ignored: TripsAndStops['ignored']) {
  const n = points.length;
  // Candidates: valid, accurate enough, one per timestamp. Filled in place, then cut to length.
  const f: Fixes = {
    n: 0,
    index: new Int32Array(n),
    t: new Float64Array(n),
    lat: new Float64Array(n),
    lon: new Float64Array(n),
    kLat: new Float64Array(n),
    kLon: new Float64Array(n),
    speed: new Float64Array(n),
  };
  let lastT = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = points[i];
    const t = toEpochMs(p.ts, `points.${i}.ts`);
    if (t < lastT) throw new GeoInputError(`points.${i}.ts`, 'fixes must be in ascending time order');
    lastT = t;
    if (!isValidCoordinate(p)) ignored.invalid++;
    else if (p.accuracy != null && finite(p.accuracy) && p.accuracy > o.maxAccuracyM) ignored.inaccurate++;
    else if (f.n > 0 && f.t[f.n - 1] === t) ignored.duplicate++;
    else {
      const j = f.n++;
      const k = metresPerDegree(p.lat);
      f.index[j] = i;
      f.t[j] = t;
      f.lat[j] = p.lat;
      f.lon[j] = p.lon;
      f.kLat[j] = k.lat;
      f.kLon[j] = k.lon;
      f.speed[j] = typeof p.speedKmh === 'number' && finite(p.speedKmh) && p.speedKmh >= 0 ? p.speedKmh : NaN;
    }
  }

  // Spikes: reached and left at an impossible speed while the neighbours around them are consistent.
  const maxMps = o.maxPlausibleSpeedKmh / 3.6;
  const tooFast = (a: number, b: number) => hop(f, a, b) > maxMps * max((f.t[b] - f.t[a]) / 1000, 1e-3);
  let kept = 0;
  const candidates = f.n;
  for (let c = 0; c < candidates; c++) {
    const prev = kept - 1;
    if (prev >= 0 && c + 1 < candidates && tooFast(prev, c) && tooFast(c, c + 1) && !tooFast(prev, c + 1)) {
      ignored.spike++;
      continue;
    }
    if (kept !== c) {
      f.index[kept] = f.index[c];
      f.t[kept] = f.t[c];
      f.lat[kept] = f.lat[c];
      f.lon[kept] = f.lon[c];
      f.kLat[kept] = f.kLat[c];
      f.kLon[kept] = f.kLon[c];
      f.speed[kept] = f.speed[c];
    }
    kept++;
  }
  f.n = kept;
  return f;
}

// The hot loops below run over every fix, several times: they use local helpers and the per-fix
// scales instead of calling across modules with objects.
function lonDelta(from: number, to: number): number {
  let d = to - from;
  if (d > 180) d -= 360;
  else if (d < -180) d += 360;
  return d;
}

/** Distance between fixes a and b: flat with the fixes' own scales when near, GeographicLib when far. */
function hop(f: Fixes, a: number, b: number): number {
  const dy = (f.lat[b] - f.lat[a]) * 0.5 * (f.kLat[a] + f.kLat[b]);
  const dx = lonDelta(f.lon[a], f.lon[b]) * 0.5 * (f.kLon[a] + f.kLon[b]);
  const d = sqrt(dx * dx + dy * dy);
  if (d <= 5_000 && abs(f.lat[a]) < 80) return d;
  return distanceM({ lat: f.lat[a], lon: f.lon[a] }, { lat: f.lat[b], lon: f.lon[b] });
}

/**
 * Grows the stay that starts at fix `i`: following fixes join while they lie within the radius of
 * the stay's running centre. A fix outside is jitter when the track comes back within
 * `outlierWindowS`; a long, slow data gap joins too (the tracker slept while parked), after which
 * membership is measured around the first fix after the gap, where the vehicle now stands.
 */
function growStay(f: Fixes, i: number, o: Required<TripStopOptions>): Cluster {
  const r2 = o.stopRadiusM * o.stopRadiusM;
  const gapMs = o.gapS * 1000;
  const outlierMs = o.outlierWindowS * 1000;
  const lon0 = f.lon[i];
  const c: Cluster = { start: i, end: i, count: 1, sumLat: f.lat[i], sumLon: 0, lon0, spansDataGap: false };
  // Membership centre (restarted after a bridged gap), kept apart from the reported centroid.
  let mLat = f.lat[i];
  let mLon = 0;
  let mCount = 1;
  const distance2 = (j: number) => {
    const dy = (f.lat[j] - mLat / mCount) * f.kLat[j];
    const dx = (lonDelta(lon0, f.lon[j]) - mLon / mCount) * f.kLon[j];
    return dx * dx + dy * dy;
  };

  let j = i + 1;
  while (j < f.n) {
    const dtMs = f.t[j] - f.t[c.end];
    let joins = distance2(j) <= r2;
    if (joins) {
      if (dtMs >= gapMs) c.spansDataGap = true;
    } else if (dtMs >= gapMs && hop(f, c.end, j) / (dtMs / 1000) <= o.gapStopMaxSpeedKmh / 3.6) {
      c.spansDataGap = true;
      mLat = 0;
      mLon = 0;
      mCount = 0;
      joins = true;
    }
    if (joins) {
      const rel = lonDelta(lon0, f.lon[j]);
      c.sumLat += f.lat[j];
      c.sumLon += rel;
      c.count++;
      mLat += f.lat[j];
      mLon += rel;
      mCount++;
      c.end = j++;
      continue;
    }
    // Excursions are tolerated once the vehicle has stood half the window: before that it may be
    // rolling on, and looking ahead at every fix of a drive would triple the cost.
    if (f.t[c.end] - f.t[c.start] < outlierMs / 2) break;
    let back = -1;
    for (let k = j + 1; k < f.n && f.t[k] - f.t[c.end] <= outlierMs; k++) {
      if (distance2(k) <= r2) {
        back = k;
        break;
      }
    }
    if (back < 0) break;
    j = back;
  }
  return c;
}

const centroidOf = (c: Cluster): LatLon => {
  const lon = c.lon0 + c.sumLon / c.count;
  return { lat: c.sumLat / c.count, lon: lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon };
};

/** Joins two stays separated by a movement too small to be a trip. */
function mergeClusters(a: Cluster, b: Cluster): Cluster {
  const shift = lonDelta(a.lon0, b.lon0) * b.count;
  return {
    start: a.start,
    end: b.end,
    count: a.count + b.count,
    sumLat: a.sumLat + b.sumLat,
    sumLon: a.sumLon + b.sumLon + shift,
    lon0: a.lon0,
    spansDataGap: a.spansDataGap || b.spansDataGap,
  };
}

/**
 * Distance, speeds and idle time of the movement between fixes `s` and `e`. Speed from positions
 * is measured over `speedWindowS` (so jitter of a few metres between 1 Hz fixes does not read as
 * 20 km/h), once looking back from each hop and once looking ahead: a hop is idle when either
 * window is slow, which finds the first and last seconds of a halt too. A hop across a data gap
 * is a window of its own.
 */
function measureMovement(f: Fixes, s: number, e: number, o: Required<TripStopOptions>) {
  const windowMs = o.speedWindowS * 1000;
  const idleMps = o.idleSpeedKmh / 3.6;
  const speed = (a: number, b: number) => hop(f, a, b) / max((f.t[b] - f.t[a]) / 1000, 1e-3);
  let distanceM = 0;
  let idleMs = 0;
  let maxReported = -1;
  let maxDerivedMps = 0;
  let back = s; // latest fix at least a window before q + 1
  let ahead = s; // first fix at least a window after q
  let counted = s;
  for (let q = s; q < e; q++) {
    const step = hop(f, counted, q + 1);
    if (step >= o.jitterM) {
      distanceM += step;
      counted = q + 1;
    }
    const r0 = f.speed[q];
    const r1 = f.speed[q + 1];
    if (r0 === r0 && r0 > maxReported && r0 <= o.maxPlausibleSpeedKmh) maxReported = r0;

    while (back < q && f.t[q + 1] - f.t[back + 1] >= windowMs) back++;
    if (ahead < q + 1) ahead = q + 1;
    while (ahead < e && f.t[ahead] - f.t[q] < windowMs) ahead++;
    const backMps = speed(back, q + 1);
    const aheadMps = speed(q, ahead);
    if (backMps > maxDerivedMps && backMps * 3.6 <= o.maxPlausibleSpeedKmh) maxDerivedMps = backMps;

    const idle =
      r0 === r0 && r1 === r1 ? r0 <= o.idleSpeedKmh && r1 <= o.idleSpeedKmh : min(backMps, aheadMps) <= idleMps;
    if (idle) idleMs += f.t[q + 1] - f.t[q];
  }
  if (counted < e) distanceM += hop(f, counted, e);
  const last = f.speed[e];
  if (last === last && last > maxReported && last <= o.maxPlausibleSpeedKmh) maxReported = last;
  return { distanceM, idleS: idleMs / 1000, maxSpeedKmh: maxReported >= 0 ? maxReported : maxDerivedMps * 3.6 };
}

/**
 * Splits a vehicle's fixes (ascending time) into stops and the trips between them.
 *
 * - A **stop** is a stay of at least `minStopDurationS` within `stopRadiusM` of its centre. Parked
 *   jitter stays inside the radius; excursions that come back within `outlierWindowS` are ignored;
 *   a data gap at walking pace or slower (`gapStopMaxSpeedKmh`) is part of a stop.
 * - A **trip** is the movement between two stops (or the data's ends) whose path is at least
 *   `minTripDistanceM` long and reaches farther than twice the stop radius from its start.
 *   Shorter movements are dropped, and the stops around them merge when they are the same place.
 *   A data gap faster than `gapStopMaxSpeedKmh` (a tunnel) stays inside its trip.
 * - **Idle** is time inside trips slower than `idleSpeedKmh` (lights, queues, halts shorter than a
 *   stop); crawling in a jam faster than that is driving.
 */
export function detectTripsAndStops(points: readonly MotionFix[], options: TripStopOptions = {}): TripsAndStops {
  const o = resolveOptions(options);
  const ignored = { invalid: 0, inaccurate: 0, spike: 0, duplicate: 0 };
  const f = trustedFixes(points, o, ignored);
  const minStopMs = o.minStopDurationS * 1000;

  // 1. Stays long enough to be stops, found left to right.
  const clusters: Cluster[] = [];
  for (let i = 0; i < f.n;) {
    const c = growStay(f, i, o);
    if (f.t[c.end] - f.t[c.start] >= minStopMs && c.end > c.start) {
      clusters.push(c);
      i = c.end + 1;
    } else {
      i++;
    }
  }

  // 2. The movements between them; too short ones are dropped, merging stops at one place.
  const farEnough = (s: number, e: number) => {
    const reach2 = (2 * o.stopRadiusM) ** 2;
    for (let q = s + 1; q <= e; q++) {
      const dy = (f.lat[q] - f.lat[s]) * f.kLat[q];
      const dx = lonDelta(f.lon[s], f.lon[q]) * f.kLon[q];
      if (dx * dx + dy * dy >= reach2) return true;
    }
    return false;
  };
  const stops: Cluster[] = [];
  const trips: { s: number; e: number; m: ReturnType<typeof measureMovement> }[] = [];
  const closeMovement = (end: number, next: Cluster | undefined) => {
    const prev = stops[stops.length - 1];
    const s = prev ? prev.end : 0;
    if (end > s) {
      const m = measureMovement(f, s, end, o);
      // At an edge of the data (the period's first or last fixes), movement next to a stop that lasts
      // less than two outlier windows is taken for multipath excursions: with no stay on its other
      // side, the usual test (left the stay and came back) cannot tell them from a trip. A real trip
      // that short at the very edge of the period is lost; trips elsewhere are unaffected.
      const edgeExcursion = !prev !== !next && f.t[end] - f.t[s] < 2 * o.outlierWindowS * 1000;
      if (edgeExcursion) {
        // The stop next to it covers the excursion's time (its centre keeps to its own fixes).
        if (next) return { ...next, start: s };
        if (prev) stops[stops.length - 1] = { ...prev, end };
        return undefined;
      }
      if (m.distanceM >= o.minTripDistanceM && farEnough(s, end)) {
        trips.push({ s, e: end, m });
        return next;
      }
    }
    // Not a trip. The same place on both sides is one stop that the movement interrupted.
    if (prev && next) {
      const a = centroidOf(prev);
      const b = centroidOf(next);
      if (fastDistanceM(a, b) <= o.stopRadiusM) {
        stops[stops.length - 1] = mergeClusters(prev, next);
        return undefined;
      }
    }
    return next;
  };
  for (const c of clusters) {
    const kept = closeMovement(c.start, c);
    if (kept) stops.push(kept);
  }
  closeMovement(f.n - 1, undefined);

  return {
    ignored,
    stops: stops.map((c) => ({
      startTime: new Date(f.t[c.start]),
      endTime: new Date(f.t[c.end]),
      durationS: (f.t[c.end] - f.t[c.start]) / 1000,
      centroid: centroidOf(c),
      startIndex: f.index[c.start],
      endIndex: f.index[c.end],
      spansDataGap: c.spansDataGap,
    })),
    trips: trips.map(({ s, e, m }) => {
      const durationS = (f.t[e] - f.t[s]) / 1000;
      return {
        startTime: new Date(f.t[s]),
        endTime: new Date(f.t[e]),
        startPoint: { lat: f.lat[s], lon: f.lon[s] },
        endPoint: { lat: f.lat[e], lon: f.lon[e] },
        startIndex: f.index[s],
        endIndex: f.index[e],
        distanceM: m.distanceM,
        durationS,
        maxSpeedKmh: m.maxSpeedKmh,
        avgSpeedKmh: durationS > 0 ? (m.distanceM / durationS) * 3.6 : 0,
        idleS: m.idleS,
      };
    }),
  };
}

export interface DrivingSummary {
  /** Total distance of the trips. */
  distanceM: number;
  /** Time in trips while moving (trip time minus idle). */
  drivingS: number;
  /** Time in trips standing or slower than `idleSpeedKmh` (see detectTripsAndStops). */
  idleS: number;
  /** Time in stops. */
  stoppedS: number;
  maxSpeedKmh: number;
  /** Trip distance over trip time (idle included), like each trip's avgSpeedKmh. */
  avgSpeedKmh: number;
  trips: number;
  stops: number;
}

/** Totals of a detection result, for a report per vehicle and period. */
export function summarize(result: Pick<TripsAndStops, 'trips' | 'stops'>): DrivingSummary {
  let distanceM = 0;
  let tripS = 0;
  let idleS = 0;
  let maxSpeedKmh = 0;
  for (const t of result.trips) {
    distanceM += t.distanceM;
    tripS += t.durationS;
    idleS += t.idleS;
    maxSpeedKmh = Math.max(maxSpeedKmh, t.maxSpeedKmh);
  }
  return {
    distanceM,
    drivingS: tripS - idleS,
    idleS,
    stoppedS: result.stops.reduce((s, x) => s + x.durationS, 0),
    maxSpeedKmh,
    avgSpeedKmh: tripS > 0 ? (distanceM / tripS) * 3.6 : 0,
    trips: result.trips.length,
    stops: result.stops.length,
  };
}
