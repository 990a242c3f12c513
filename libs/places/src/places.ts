import type { Pool } from '@fleet/db';
import { inverse } from '@fleet/geo';
import type { Redis } from '@fleet/runtime';
import { cellCentre, cellKey, cellOf, type Cell } from './cells';
import { loadCities } from './cities';
import { formatCoordinates, formatNear } from './format';
import { CityIndex } from './nearest';
import { reverseGeocode } from './nominatim';
import { RateLimiter } from './rate-limit';

/** The optional online reverse geocoder (a Nominatim-compatible API). */
export interface GeocoderConfig {
  /** Base URL; `/reverse` is appended. */
  url: string;
  /** Calls per second at most, over every process sharing the Redis. */
  ratePerSec: number;
  /** One call gives up after this long. */
  timeoutMs: number;
  /** A request waits this long at most for online answers, then uses the offline fallback. */
  waitMs: number;
  /** A cached answer older than this is asked again (still shown meanwhile). */
  cacheTtlMs: number;
  /** Accept-Language of the calls. */
  language?: string;
}

export interface PlacesOptions {
  pool: Pool;
  /** Needed with a geocoder: its rate limit is shared through Redis. */
  redis?: Redis;
  geocoder?: GeocoderConfig;
  logger?: { warn(message: string, meta?: Record<string, unknown>): void };
  /** After a failed call, no online call for this long (ms). Default 30 s. */
  backoffMs?: number;
  /** A claim on a cell (a call under way) older than this may be taken over (ms). Default 60 s. */
  claimTimeoutMs?: number;
  /** Redis key of the shared rate limit (tests give each suite its own). */
  rateKey?: string;
  /** Cells waiting in this process for a rate slot, at most; more are left to later requests. */
  maxQueued?: number;
}

export interface PlacePoint {
  lat: number;
  lon: number;
}

/** A call that found no rate slot free (and gave its claim back). */
const NO_SLOT = Symbol('no rate slot');
type Fetched = string | null | undefined | typeof NO_SLOT;

let sharedIndex: CityIndex | undefined;
let loadError: unknown;

/** The bundled populated places, indexed on first use (about 135,000, a second or so). */
export function cityIndex(): CityIndex {
  return (sharedIndex ??= new CityIndex(loadCities()));
}

/** The index, or undefined (once, and logged by the caller) when the data set cannot be read. */
function cityIndexOrNone(): CityIndex | undefined {
  if (loadError !== undefined) return undefined;
  try {
    return cityIndex();
  } catch (err) {
    loadError = err;
    return undefined;
  }
}

/** Why the bundled places could not be loaded, if they could not (places are then coordinates). */
export const cityLoadError = () => loadError;

/** The offline description of a point with no geofence around it: "2.3 km NE of Alcobendas". */
export function nearestPlace(point: PlacePoint): string {
  const city = cityIndexOrNone()?.nearest(point.lat, point.lon);
  if (!city) return formatCoordinates(point.lat, point.lon);
  const { distanceM, initialBearingDeg } = inverse(city, point);
  return formatNear(city.name, distanceM, initialBearingDeg);
}

const validPoint = (p: PlacePoint | null | undefined): p is PlacePoint =>
  !!p && Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;

/**
 * Human-readable places for points: the online geocoder's answer for the point's ~100 m cell when
 * it is configured and answers in time (cached in PostgreSQL, one call per cell, rate-limited),
 * else the name of the organization's smallest geofence containing the point, else the distance
 * and direction from the nearest populated place of the bundled data set.
 */
export class Places {
  private readonly limiter?: RateLimiter;
  /** Lookups under way, which parallel lookups of the same cell join. */
  private readonly lookups = new Map<string, Promise<string | null | undefined>>();
  /** Calls under way (claim, slot, service). */
  private readonly calls = new Map<string, Promise<Fetched>>();
  /** Cells waiting for a rate slot, with the lookups waiting for them. */
  private readonly queue = new Map<string, { cell: Cell; waiters: ((place: string | null | undefined) => void)[] }>();
  private pausedUntil = 0;
  private noSlotUntil = 0;
  private loadErrorLogged = false;
  private draining = false;
  private stopped = false;
  private wake?: () => void;

  constructor(private readonly options: PlacesOptions) {
    if (options.geocoder) {
      if (!options.redis) throw new Error('Places: a geocoder needs Redis for its shared rate limit');
      this.limiter = new RateLimiter(options.redis, options.geocoder.ratePerSec, options.rateKey);
    }
  }

  get online(): boolean {
    return this.limiter !== undefined;
  }

  /** A place for each point (undefined for a missing or invalid one), in the same order. */
  async describe(org: string, points: readonly (PlacePoint | null | undefined)[]): Promise<(string | undefined)[]> {
    const valid = points.map((p) => (validPoint(p) ? p : undefined));
    const [online, fences] = await Promise.all([this.onlineAnswers(valid), this.geofenceNames(org, valid)]);
    if (!this.loadErrorLogged && valid.some(Boolean) && !cityIndexOrNone()) {
      this.loadErrorLogged = true;
      this.options.logger?.warn('places: the bundled towns could not be loaded; offline places are coordinates', {
        err: loadError,
      });
    }
    return valid.map((p, i) => {
      if (!p) return undefined;
      return online[i] ?? fences[i] ?? nearestPlace(p);
    });
  }

  /** Ends the background lookups; the calls under way finish (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { waiters } of this.queue.values()) waiters.forEach((w) => w(undefined));
    this.queue.clear();
    this.wake?.();
    await Promise.allSettled([...this.calls.values(), ...this.lookups.values()]);
  }

  private async geofenceNames(org: string, points: (PlacePoint | undefined)[]): Promise<(string | undefined)[]> {
    const index: number[] = [];
    const lat: number[] = [];
    const lon: number[] = [];
    points.forEach((p, i) => {
      if (!p) return;
      index.push(i);
      lat.push(p.lat);
      lon.push(p.lon);
    });
    const names: (string | undefined)[] = points.map(() => undefined);
    if (!index.length) return names;
    // One round trip for the whole batch; the smallest geofence is the most specific name.
    const { rows } = await this.options.pool.query<{ n: number; name: string }>(
      `SELECT p.n::int AS n, g.name
         FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS p(lat, lon, n)
         CROSS JOIN LATERAL (
           SELECT name FROM geofences
            WHERE organization_id = $1
              AND ST_Covers(area, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
            ORDER BY ST_Area(area), name
            LIMIT 1) g`,
      [org, lat, lon],
    );
    for (const r of rows) names[index[r.n - 1]] = r.name;
    return names;
  }

  /** The geocoder's places that are cached or arrive within `waitMs`; the rest are left undefined. */
  private async onlineAnswers(points: (PlacePoint | undefined)[]): Promise<(string | undefined)[]> {
    const answers: (string | undefined)[] = points.map(() => undefined);
    const geocoder = this.options.geocoder;
    if (!geocoder || this.stopped) return answers;
    const deadline = Date.now() + geocoder.waitMs;
    const cells = new Map<string, Cell>();
    const keys = points.map((p) => {
      if (!p) return undefined;
      const cell = cellOf(p.lat, p.lon);
      const key = cellKey(cell);
      cells.set(key, cell);
      return key;
    });
    if (!cells.size) return answers;
    const known = new Map<string, string | null>();
    let cached: { lat_cell: number; lon_cell: number; place: string | null; fetched: boolean; stale: boolean }[];
    try {
      const list = [...cells.values()];
      ({ rows: cached } = await this.options.pool.query(
        `SELECT lat_cell, lon_cell, place, fetched_at IS NOT NULL AS fetched,
                coalesce(fetched_at < now() - $3::float8 * interval '1 millisecond', false) AS stale
           FROM place_cache
          WHERE (lat_cell, lon_cell) IN (SELECT * FROM unnest($1::int[], $2::int[]))`,
        [list.map((c) => c.latCell), list.map((c) => c.lonCell), geocoder.cacheTtlMs],
      ));
    } catch (err) {
      this.options.logger?.warn('places: cannot read the geocoder cache; offline places only', { err });
      return answers;
    }
    const fresh = new Set<string>();
    for (const r of cached) {
      const key = cellKey({ latCell: r.lat_cell, lonCell: r.lon_cell });
      if (r.fetched) known.set(key, r.place);
      if (r.fetched && !r.stale) fresh.add(key);
    }
    const pending: Promise<unknown>[] = [];
    for (const [key, cell] of cells) {
      if (fresh.has(key)) continue;
      pending.push(
        this.lookup(cell).then((place) => {
          if (place !== undefined) known.set(key, place);
        }),
      );
    }
    if (pending.length) {
      // The calls go on after the wait: what they find is cached for the next request.
      let timer: NodeJS.Timeout | undefined;
      const wait = Math.max(0, deadline - Date.now());
      await Promise.race([
        Promise.allSettled(pending),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, wait))),
      ]);
      clearTimeout(timer);
    }
    keys.forEach((key, i) => {
      if (key !== undefined) answers[i] = known.get(key) ?? undefined;
    });
    return answers;
  }

  /**
   * The geocoder's place for a cell (null: it has none), or undefined when no call could be made
   * now (no rate slot: the cell waits in the background queue; another process is asking; the
   * service failed). One call per cell at a time in this process, and through the cache's claim,
   * across processes.
   */
  private lookup(cell: Cell): Promise<string | null | undefined> {
    const key = cellKey(cell);
    const joined = this.lookups.get(key);
    if (joined) return joined;
    const lookup = (async () => {
      // No slot before this (paused, or the last slot asked for was taken): straight to the queue.
      if (Date.now() >= Math.max(this.pausedUntil, this.noSlotUntil)) {
        const fetched = await this.call(key, cell, { waitForSlot: false });
        if (fetched !== NO_SLOT) return fetched;
      }
      return this.enqueue(key, cell);
    })().finally(() => this.lookups.delete(key));
    this.lookups.set(key, lookup);
    return lookup;
  }

  private call(key: string, cell: Cell, options: { waitForSlot: boolean }): Promise<Fetched> {
    const call = this.fetchCell(cell, options).finally(() => this.calls.delete(key));
    this.calls.set(key, call);
    return call;
  }

  /**
   * Claims the cell, takes a rate slot (waiting for one, or giving the claim back and queueing the
   * cell), calls the service and stores its answer. The slot is taken last, right before the call,
   * so calls reach the service spaced as the slots are.
   */
  private async fetchCell(cell: Cell, options: { waitForSlot: boolean }): Promise<Fetched> {
    const { pool, geocoder } = this.options;
    const limiter = this.limiter;
    if (!geocoder || !limiter) return undefined;
    const where = [cell.latCell, cell.lonCell];
    try {
      const claim = await pool.query(
        `INSERT INTO place_cache AS c (lat_cell, lon_cell) VALUES ($1, $2)
         ON CONFLICT (lat_cell, lon_cell) DO UPDATE SET claimed_at = now()
          WHERE c.claimed_at < now() - $3::float8 * interval '1 millisecond'
            AND (c.fetched_at IS NULL OR c.fetched_at < now() - $4::float8 * interval '1 millisecond')
         RETURNING 1`,
        [...where, this.options.claimTimeoutMs ?? 60_000, geocoder.cacheTtlMs],
      );
      if (!claim.rowCount) {
        // Answered meanwhile (another lookup, another process), or being asked about elsewhere.
        const { rows } = await pool.query<{ place: string | null; fetched: boolean }>(
          'SELECT place, fetched_at IS NOT NULL AS fetched FROM place_cache WHERE lat_cell = $1 AND lon_cell = $2',
          where,
        );
        return rows[0]?.fetched ? rows[0].place : undefined;
      }
      for (;;) {
        const pause = this.pausedUntil - Date.now();
        const wait = pause > 0 ? pause : await limiter.tryTake();
        if (wait <= 0) break;
        if (pause <= 0) this.noSlotUntil = Date.now() + wait;
        if (!options.waitForSlot || this.stopped) {
          await pool.query(
            "UPDATE place_cache SET claimed_at = '-infinity' WHERE lat_cell = $1 AND lon_cell = $2",
            where,
          );
          return options.waitForSlot ? undefined : NO_SLOT;
        }
        await this.sleep(wait);
      }
      const centre = cellCentre(cell);
      const result = await reverseGeocode(geocoder, centre.lat, centre.lon);
      if (result.kind === 'failed') {
        // The claim stays until it times out: nobody asks about this cell again before then.
        this.pausedUntil = Date.now() + (this.options.backoffMs ?? 30_000);
        this.options.logger?.warn('places: the geocoder failed; offline places meanwhile', { reason: result.reason });
        return undefined;
      }
      const place = result.kind === 'place' ? result.place : null;
      await pool.query('UPDATE place_cache SET place = $3, fetched_at = now() WHERE lat_cell = $1 AND lon_cell = $2', [
        ...where,
        place,
      ]);
      return place;
    } catch (err) {
      this.options.logger?.warn('places: geocoder cache access failed', { err });
      return undefined;
    }
  }

  private enqueue(key: string, cell: Cell): Promise<string | null | undefined> {
    return new Promise((resolve) => {
      const queued = this.queue.get(key);
      if (queued) return void queued.waiters.push(resolve);
      if (this.stopped || this.queue.size >= (this.options.maxQueued ?? 1_000)) return resolve(undefined);
      this.queue.set(key, { cell, waiters: [resolve] });
      if (!this.draining) void this.drain();
    });
  }

  /** Asks about the queued cells one at a time, as rate slots come, so the next report finds them cached. */
  private async drain() {
    this.draining = true;
    try {
      while (!this.stopped && this.queue.size) {
        const [key, { cell, waiters }] = this.queue.entries().next().value as [
          string,
          { cell: Cell; waiters: ((place: string | null | undefined) => void)[] },
        ];
        this.queue.delete(key);
        await this.calls.get(key);
        const fetched = await this.call(key, cell, { waitForSlot: true });
        const place = fetched === NO_SLOT ? undefined : fetched;
        waiters.forEach((w) => w(place));
      }
    } finally {
      this.draining = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
