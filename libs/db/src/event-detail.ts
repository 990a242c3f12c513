import type { EventDetail } from '@fleet/contracts';
import { eq } from 'drizzle-orm';
import type { SelectedFields } from 'drizzle-orm/pg-core';
import type { Database } from './client';
import type { LatLon } from './postgis';
import { events, geofences, vehicles } from './schema';

/** The event with the names people read: its vehicle's, and its geofence's (gone if deleted since). */
const eventDetailColumns = {
  id: events.id,
  vehicleId: events.vehicleId,
  type: events.type,
  ts: events.ts,
  geofenceId: events.geofenceId,
  point: events.point,
  attributes: events.attributes,
  vehicleName: vehicles.name,
  geofenceName: geofences.name,
  retractedAt: events.retractedAt,
};

/** One row of `selectEventDetails`. */
export interface EventDetailRow {
  id: string;
  vehicleId: string;
  type: string;
  ts: Date;
  geofenceId: string | null;
  point: LatLon | null;
  attributes: Record<string, unknown>;
  vehicleName: string | null;
  geofenceName: string | null;
  retractedAt: Date | null;
}

/**
 * Events as the events API and the webhook dispatcher show them (`EventDetail`): the caller adds its
 * WHERE, order and limit; `extra` adds columns of its own (the API's exact cursor timestamp).
 */
export function selectEventDetails<Extra extends SelectedFields = Record<never, never>>(db: Database, extra?: Extra) {
  return db
    .select({ ...eventDetailColumns, ...(extra as Extra) })
    .from(events)
    .leftJoin(vehicles, eq(vehicles.id, events.vehicleId))
    .leftJoin(geofences, eq(geofences.id, events.geofenceId));
}

export function toEventDetail(r: EventDetailRow): EventDetail {
  return {
    id: r.id,
    vehicleId: r.vehicleId,
    // The detector writes only the declared event types.
    type: r.type as EventDetail['type'],
    ts: r.ts.toISOString(),
    geofenceId: r.geofenceId,
    lat: r.point?.lat ?? null,
    lon: r.point?.lon ?? null,
    attributes: r.attributes,
    vehicleName: r.vehicleName,
    geofenceName: r.geofenceName,
    retractedAt: r.retractedAt?.toISOString() ?? null,
  };
}
