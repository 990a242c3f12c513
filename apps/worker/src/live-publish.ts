import type { LiveMessage, LivePosition, RetractedEvent as RetractedLiveEvent, TrackingEvent } from '@fleet/contracts';
import { publishUpdate } from '@fleet/live';
import type { InsertedPosition } from '@fleet/queue-replay';
import type { Redis } from '@fleet/runtime';
import type { DetectedEvent, RetractedEvent } from './events/detector';

function toLivePosition(p: InsertedPosition): LivePosition {
  return {
    vehicleId: p.vehicleId,
    ts: new Date(p.ts).toISOString(),
    lat: p.lat,
    lon: p.lon,
    speedKmh: p.speedKmh,
    heading: p.heading,
    altitude: p.altitude,
    accuracy: p.accuracy,
    battery: p.battery,
    attributes: p.attributes,
  };
}

function toTrackingEvent(e: DetectedEvent): TrackingEvent {
  return {
    id: e.id,
    vehicleId: e.vehicleId,
    type: e.type,
    ts: new Date(e.ts).toISOString(),
    geofenceId: e.geofenceId,
    lat: e.lat,
    lon: e.lon,
    attributes: e.attributes,
  };
}

function toRetractedEvent(e: RetractedEvent): RetractedLiveEvent {
  return { ...toTrackingEvent(e), retractedAt: new Date(e.retractedAt).toISOString() };
}

/**
 * Step (4) of the ingestion contract, after the commit: the hot cache moves forward and every API
 * replica hears the new positions, events and retractions (one script call per organization). A fix
 * older than the vehicle's cached one is neither cached nor pushed (publishUpdate), so a late fix never
 * moves a vehicle back on the map. Redis being away loses only the live push — PostgreSQL has
 * everything, and the hot cache is rebuilt from it.
 */
export async function publishCommitted(
  redis: Redis,
  positions: InsertedPosition[],
  events: DetectedEvent[],
  retracted: RetractedEvent[] = [],
): Promise<void> {
  const byOrg = new Map<string, { messages: LiveMessage[]; latest: Map<string, LivePosition> }>();
  const of = (org: string) => {
    let entry = byOrg.get(org);
    if (!entry) byOrg.set(org, (entry = { messages: [], latest: new Map() }));
    return entry;
  };
  // The live feed carries each vehicle's newest fix of the batch: what a live map shows. A batch of
  // history (an upload, a phone catching up) is one update, not thousands; the whole track is in
  // the history API. With trackers reporting every few seconds, every fix is its own update.
  for (const p of positions) {
    const entry = of(p.organizationId);
    const cur = entry.latest.get(p.vehicleId);
    if (!cur || Date.parse(cur.ts) < p.ts) entry.latest.set(p.vehicleId, toLivePosition(p));
  }
  for (const e of retracted) of(e.organizationId).messages.push({ type: 'event_retracted', data: toRetractedEvent(e) });
  for (const e of events) of(e.organizationId).messages.push({ type: 'event', data: toTrackingEvent(e) });
  await Promise.all(
    [...byOrg].map(([org, { messages, latest }]) =>
      publishUpdate(redis, org, { positions: [...latest.values()], messages }),
    ),
  );
}
