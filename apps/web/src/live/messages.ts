import type { StreamEvent } from '@fleet/api-client';
import { LIVE_EVENT, type TrackingEvent } from '@fleet/contracts';
import type { LiveFix } from './store';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A `position` event's data as a fix, or null when it is not one. A cheap structural check instead
 * of the full zod schema: thousands arrive a second and the server already validated them.
 */
export function positionOf(data: string): LiveFix | null {
  let p: unknown;
  try {
    p = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(p) || typeof p['vehicleId'] !== 'string' || typeof p['ts'] !== 'string') return null;
  const lat = num(p['lat']);
  const lon = num(p['lon']);
  if (lat === null || lon === null) return null;
  return {
    vehicleId: p['vehicleId'],
    ts: p['ts'],
    tsMs: Date.parse(p['ts']),
    lat,
    lon,
    speedKmh: num(p['speedKmh']),
    heading: num(p['heading']),
    altitude: num(p['altitude']),
    accuracy: num(p['accuracy']),
    battery: num(p['battery']),
    attributes: isObject(p['attributes']) ? (p['attributes'] as Record<string, unknown>) : null,
  };
}

export function trackingEventOf(data: string): TrackingEvent | null {
  try {
    const e: unknown = JSON.parse(data);
    if (
      !isObject(e) ||
      typeof e['id'] !== 'string' ||
      typeof e['type'] !== 'string' ||
      typeof e['vehicleId'] !== 'string'
    )
      return null;
    return {
      id: e['id'],
      vehicleId: e['vehicleId'],
      type: e['type'] as TrackingEvent['type'],
      ts: String(e['ts']),
      geofenceId: typeof e['geofenceId'] === 'string' ? e['geofenceId'] : null,
      lat: num(e['lat']),
      lon: num(e['lon']),
      attributes: isObject(e['attributes']) ? (e['attributes'] as Record<string, unknown>) : {},
    };
  } catch {
    return null;
  }
}

/**
 * Sorts one network chunk's events into fixes, tracking events and the ids of retracted events (a
 * late fix re-evaluated its vehicle and the event no longer holds); anything else is ignored.
 */
export function splitLiveEvents(events: readonly StreamEvent[]): {
  fixes: LiveFix[];
  events: TrackingEvent[];
  retracted: string[];
} {
  const fixes: LiveFix[] = [];
  const tracking: TrackingEvent[] = [];
  const retracted: string[] = [];
  for (const e of events) {
    if (e.event === LIVE_EVENT.position) {
      const fix = positionOf(e.data);
      if (fix) fixes.push(fix);
    } else if (e.event === LIVE_EVENT.event) {
      const ev = trackingEventOf(e.data);
      if (ev) tracking.push(ev);
    } else if (e.event === LIVE_EVENT.eventRetracted) {
      const ev = trackingEventOf(e.data);
      if (ev) retracted.push(ev.id);
    }
  }
  return { fixes, events: tracking, retracted };
}
