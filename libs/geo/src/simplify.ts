import { metresPerDegree } from './geodesic';
import { GeoInputError, type LatLon } from './types';

// Douglas–Peucker needs the distance from a point to a segment. Measured on a local equirectangular
// projection centred on the point itself (WGS84 radii of curvature at its latitude), it is exact to
// well under 1 % where it matters: near the point, within a few tolerances. The per-point scales
// are computed once, so a 24-hour track at 1 Hz simplifies in a few milliseconds.
interface Projected {
  lat: Float64Array;
  lon: Float64Array;
  /** Metres per degree of latitude / longitude at each point. */
  kLat: Float64Array;
  kLon: Float64Array;
}

function project(track: readonly LatLon[]): Projected {
  const n = track.length;
  const out: Projected = {
    lat: new Float64Array(n),
    lon: new Float64Array(n),
    kLat: new Float64Array(n),
    kLon: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const p = track[i];
    const k = metresPerDegree(p.lat);
    out.lat[i] = p.lat;
    out.lon[i] = p.lon;
    out.kLat[i] = k.lat;
    out.kLon[i] = k.lon;
  }
  return out;
}

const dLon = (from: number, to: number) => {
  let d = to - from;
  if (d > 180) d -= 360;
  else if (d < -180) d += 360;
  return d;
};

/** Squared distance (m²) from point i to the segment s–e, all of the projected track. */
function segmentDistance2(t: Projected, i: number, s: number, e: number): number {
  const kLat = t.kLat[i];
  const kLon = t.kLon[i];
  const lat = t.lat[i];
  const lon = t.lon[i];
  const ax = dLon(lon, t.lon[s]) * kLon;
  const ay = (t.lat[s] - lat) * kLat;
  const dx = dLon(lon, t.lon[e]) * kLon - ax;
  const dy = (t.lat[e] - lat) * kLat - ay;
  const len2 = dx * dx + dy * dy;
  let u = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
  if (u < 0) u = 0;
  else if (u > 1) u = 1;
  const cx = ax + u * dx;
  const cy = ay + u * dy;
  return cx * cx + cy * cy;
}

/**
 * Distance in metres from `p` to the segment a–b: the measure the simplifiers use for their
 * tolerance, exported so callers (and tests) can check a result against it.
 */
export function distanceToSegmentM(p: LatLon, a: LatLon, b: LatLon): number {
  return Math.sqrt(segmentDistance2(project([p, a, b]), 0, 1, 2));
}

/**
 * Index and squared distance of the interior point of s–e farthest from that segment: the inner
 * loop of both simplifiers, written out over local typed arrays because it runs n·log n times.
 */
function farthest(t: Projected, s: number, e: number): { index: number; d2: number } {
  const { lat, lon, kLat, kLon } = t;
  const sLat = lat[s];
  const sLon = lon[s];
  const eLat = lat[e];
  const eLon = lon[e];
  let index = -1;
  let best = -1;
  for (let i = s + 1; i < e; i++) {
    const pLat = lat[i];
    const pLon = lon[i];
    const kx = kLon[i];
    const ky = kLat[i];
    let ax = sLon - pLon;
    if (ax > 180) ax -= 360;
    else if (ax < -180) ax += 360;
    let bx = eLon - pLon;
    if (bx > 180) bx -= 360;
    else if (bx < -180) bx += 360;
    ax *= kx;
    const ay = (sLat - pLat) * ky;
    const dx = bx * kx - ax;
    const dy = (eLat - pLat) * ky - ay;
    const len2 = dx * dx + dy * dy;
    let u = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
    if (u < 0) u = 0;
    else if (u > 1) u = 1;
    const cx = ax + u * dx;
    const cy = ay + u * dy;
    const d2 = cx * cx + cy * cy;
    if (d2 > best) {
      best = d2;
      index = i;
    }
  }
  return { index, d2: best };
}

const toIndices = (keep: Uint8Array) => {
  let count = 0;
  for (let i = 0; i < keep.length; i++) count += keep[i];
  const out = new Uint32Array(count);
  for (let i = 0, j = 0; i < keep.length; i++) if (keep[i]) out[j++] = i;
  return out;
};

const allIndices = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/**
 * Douglas–Peucker with a tolerance in metres: the indices of the points kept, ascending. The first
 * and last points are always kept and every dropped point lies within `toleranceM` of the kept
 * polyline (by `distanceToSegmentM`). Iterative, so a million points cannot overflow the stack.
 */
export function simplifyIndices(track: readonly LatLon[], toleranceM: number): Uint32Array {
  if (!Number.isFinite(toleranceM) || toleranceM < 0)
    throw new GeoInputError('toleranceM', 'must be a finite number of metres, 0 or more');
  const n = track.length;
  if (n <= 2) return allIndices(n);
  const t = project(track);
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const tol2 = toleranceM * toleranceM;
  // Pairs of (start, end) segment indices still to examine.
  const stack: number[] = [0, n - 1];
  for (let top = stack.length; top > 0; top = stack.length) {
    const e = stack[top - 1];
    const s = stack[top - 2];
    stack.length = top - 2;
    if (e - s < 2) continue;
    const { index, d2 } = farthest(t, s, e);
    if (d2 > tol2) {
      keep[index] = 1;
      stack.push(s, index, index, e);
    }
  }
  return toIndices(keep);
}

/** `simplifyIndices` returning the points themselves, extra fields (ts, speed, …) untouched. */
export function simplify<T extends LatLon>(track: readonly T[], toleranceM: number): T[] {
  return Array.from(simplifyIndices(track, toleranceM), (i) => track[i]);
}

/**
 * At most `maxPoints` points, chosen as Douglas–Peucker would, most significant first: the segment
 * whose farthest point deviates most is split next (a max-heap), until the budget is spent or the
 * rest lies exactly on the kept line. Keeps the first and last points; O(n log n) on GPS tracks.
 */
export function simplifyToMaxPointsIndices(track: readonly LatLon[], maxPoints: number): Uint32Array {
  if (!Number.isInteger(maxPoints) || maxPoints < 2)
    throw new GeoInputError('maxPoints', 'must be an integer of 2 or more');
  const n = track.length;
  if (n <= maxPoints) return allIndices(n);
  const t = project(track);
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const heap = new SegmentHeap(2 * maxPoints + 2);
  const push = (s: number, e: number) => {
    if (e - s < 2) return;
    const { index, d2 } = farthest(t, s, e);
    heap.push(s, e, index, d2);
  };
  push(0, n - 1);
  let count = 2;
  while (count < maxPoints && heap.size > 0) {
    const top = heap.pop();
    if (top.d2 <= 0) break; // everything left lies on the kept line
    keep[top.index] = 1;
    count++;
    push(top.s, top.index);
    push(top.index, top.e);
  }
  return toIndices(keep);
}

/** `simplifyToMaxPointsIndices` returning the points themselves. */
export function simplifyToMaxPoints<T extends LatLon>(track: readonly T[], maxPoints: number): T[] {
  return Array.from(simplifyToMaxPointsIndices(track, maxPoints), (i) => track[i]);
}

/** Binary max-heap of segments keyed by their farthest point's squared distance, on typed arrays. */
class SegmentHeap {
  private readonly s: Int32Array;
  private readonly e: Int32Array;
  private readonly idx: Int32Array;
  private readonly d2: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.s = new Int32Array(capacity);
    this.e = new Int32Array(capacity);
    this.idx = new Int32Array(capacity);
    this.d2 = new Float64Array(capacity);
  }

  push(s: number, e: number, index: number, d2: number): void {
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.d2[parent] >= d2) break;
      this.set(i, parent);
      i = parent;
    }
    this.s[i] = s;
    this.e[i] = e;
    this.idx[i] = index;
    this.d2[i] = d2;
  }

  pop(): { s: number; e: number; index: number; d2: number } {
    const top = { s: this.s[0], e: this.e[0], index: this.idx[0], d2: this.d2[0] };
    const last = --this.size;
    if (last > 0) {
      const d2 = this.d2[last];
      const [s, e, index] = [this.s[last], this.e[last], this.idx[last]];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const c = r < last && this.d2[r] > this.d2[l] ? r : l;
        if (this.d2[c] <= d2) break;
        this.set(i, c);
        i = c;
      }
      this.s[i] = s;
      this.e[i] = e;
      this.idx[i] = index;
      this.d2[i] = d2;
    }
    return top;
  }

  private set(to: number, from: number): void {
    this.s[to] = this.s[from];
    this.e[to] = this.e[from];
    this.idx[to] = this.idx[from];
    this.d2[to] = this.d2[from];
  }
}
