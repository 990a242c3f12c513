import { GeoInputError } from './types';

/**
 * Epoch milliseconds of a timestamp given as a Date, epoch milliseconds or an ISO-8601 string.
 * `path` names the field in the error when the value is not a time.
 */
export function toEpochMs(ts: Date | number | string, path: string): number {
  const ms = ts instanceof Date ? ts.getTime() : typeof ts === 'number' ? ts : Date.parse(ts);
  if (!Number.isFinite(ms)) throw new GeoInputError(path, 'is not a valid time (Date, epoch milliseconds or ISO-8601)');
  return ms;
}
