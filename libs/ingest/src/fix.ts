import type { ErrorDetail } from '@fleet/contracts';
import { isLatitude, isLongitude } from '@fleet/geo';
import { storableProblems } from './storable-fix';

/** A fix as a protocol decoder sees it, before validation; units already normalised (km/h…). */
export interface RawFix {
  ts: Date | undefined;
  lat: number;
  lon: number;
  speedKmh?: number;
  heading?: number;
  altitude?: number;
  accuracy?: number;
  battery?: number;
  /** The device's own claim that the fix is valid (OsmAnd `valid`, JSON `valid`). */
  valid?: boolean;
  attributes?: Record<string, unknown>;
}

const EARLIEST = Date.UTC(2000, 0, 1);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const SQL_STYLE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(\.\d{1,9})?)$/;

/**
 * Timestamps as trackers send them: epoch seconds or milliseconds (number or digits; below 1e11 it is
 * seconds, as Traccar decides), ISO-8601 (UTC when no offset), or `yyyy-MM-dd HH:mm:ss` in UTC.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return undefined;
    return validDate(new Date(value < 1e11 ? value * 1000 : value).getTime());
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseTimestamp(Number(text));
  const sqlStyle = SQL_STYLE.exec(text);
  if (sqlStyle) return validDate(Date.parse(`${sqlStyle[1]}T${sqlStyle[2]}Z`));
  if (ISO.test(text)) return validDate(Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`));
  return undefined;
}

const validDate = (ms: number) => (Number.isFinite(ms) ? new Date(ms) : undefined);

// A decimal number, nothing else (no hex, no Infinity, no empty string); one object for every call.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number from a query string or JSON; anything else is undefined. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && DECIMAL.test(value.trim())) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Optional measurements outside their domain mean "unknown" (Android reports -1), not an error. */
export const nonNegative = (v: number | undefined) => (v !== undefined && v >= 0 ? v : undefined);
export const headingOf = (v: number | undefined) => (v !== undefined && v >= 0 && v <= 360 ? v % 360 : undefined);
/** A speed in another unit as km/h (`knotsToKmh`, `mpsToKmh` of @fleet/geo); negative or missing means unknown. */
export const speedKmh = (value: unknown, toKmh: (speed: number) => number) => {
  const speed = nonNegative(num(value));
  return speed === undefined ? undefined : toKmh(speed);
};
export const percent = (v: number | undefined) => (v !== undefined && v >= 0 && v <= 100 ? v : undefined);

/**
 * Checks a fix; returns the problems, each with its path (`3.lat`), or none. Besides time and place it
 * re-checks what storage refuses (storableFix): the routes clean or refuse those fields per protocol
 * first, so this only catches a route that forgot to, and then the fix is refused, never lost.
 */
export function validateFix(fix: RawFix, path: string, options: { now: number; maxFutureMs: number }): ErrorDetail[] {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const errors: ErrorDetail[] = [];
  if (!fix.ts || Number.isNaN(fix.ts.getTime())) {
    errors.push({
      path: at('ts'),
      message: 'timestamp missing or not understood (epoch seconds/ms, ISO-8601 or yyyy-MM-dd HH:mm:ss)',
    });
  } else if (fix.ts.getTime() < EARLIEST) {
    errors.push({ path: at('ts'), message: 'timestamp before 2000-01-01' });
  } else if (fix.ts.getTime() > options.now + options.maxFutureMs) {
    errors.push({
      path: at('ts'),
      message: `timestamp more than ${Math.round(options.maxFutureMs / 1000)} s in the future`,
    });
  }
  if (!isLatitude(fix.lat)) errors.push({ path: at('lat'), message: 'latitude must be a number between -90 and 90' });
  if (!isLongitude(fix.lon))
    errors.push({ path: at('lon'), message: 'longitude must be a number between -180 and 180' });
  if (fix.lat === 0 && fix.lon === 0 && fix.valid !== true) {
    errors.push({
      path: at('lat'),
      message: '0,0 is what a tracker without a fix sends; mark the fix valid if it is real',
    });
  }
  for (const { path: problemPath, message } of storableProblems(fix, path)) errors.push({ path: problemPath, message });
  return errors;
}
