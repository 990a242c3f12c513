import { z } from 'zod';

/** A vehicle's fix as the live map shows it: pushed on the live stream and kept in the hot cache. */
export const LivePosition = z.object({
  vehicleId: z.uuid(),
  /** ISO-8601, UTC. */
  ts: z.string(),
  lat: z.number(),
  lon: z.number(),
  /** km/h, like every speed of the API. */
  speedKmh: z.number().nullable(),
  heading: z.number().nullable(),
  altitude: z.number().nullable(),
  accuracy: z.number().nullable(),
  battery: z.number().nullable(),
  attributes: z.record(z.string(), z.unknown()).nullable(),
});
export type LivePosition = z.infer<typeof LivePosition>;

export const EventType = z.enum([
  'geofence_enter',
  'geofence_exit',
  'overspeed',
  'device_offline',
  'device_online',
  // attributes { from, to, fromName, toName, driverUniqueId }: driver ids (from null: nobody before)
  'driver_changed',
  // subject_id: the rule; attributes { ruleId, ruleName, cycle, reason: km | engine_hours | calendar,
  // odometerKm, engineHours, dueAtKm, dueAtEngineHours | dueAt }: once per rule per service cycle
  'maintenance_due',
]);
export type EventType = z.infer<typeof EventType>;

export const TrackingEvent = z.object({
  id: z.uuid(),
  vehicleId: z.uuid(),
  type: EventType,
  ts: z.string(),
  geofenceId: z.uuid().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  attributes: z.record(z.string(), z.unknown()),
});
export type TrackingEvent = z.infer<typeof TrackingEvent>;

/**
 * An event a late fix's re-evaluation no longer implies (docs/events.md): still stored, marked with
 * `retractedAt` (ISO-8601) and left out of the default event lists.
 */
export const RetractedEvent = TrackingEvent.extend({ retractedAt: z.string() });
export type RetractedEvent = z.infer<typeof RetractedEvent>;

/**
 * What travels on the live stream (SSE `event:` is `type`, `data:` is the JSON of `data`). The SSE `id:`
 * is the entry id of the organization's live log, which `Last-Event-ID` resumes from.
 */
export const LiveMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('position'), data: LivePosition }),
  z.object({ type: z.literal('event'), data: TrackingEvent }),
  z.object({ type: z.literal('event_retracted'), data: RetractedEvent }),
]);
export type LiveMessage = z.infer<typeof LiveMessage>;

/**
 * The `event:` names of the live streams (`/api/v1/live` and a share link's stream). Data events:
 * `position`, `event`, `event_retracted`. Control events: `resync` (the history to resume from is gone:
 * reload the latest positions), `expired` (the access token expired: reconnect with a fresh one),
 * `revoked` (the account changed: sign in again), `end` (a share link expired or was revoked). The
 * stream ends after `expired`, `revoked` and `end`.
 */
export const LIVE_EVENT = {
  position: 'position',
  event: 'event',
  eventRetracted: 'event_retracted',
  resync: 'resync',
  expired: 'expired',
  revoked: 'revoked',
  end: 'end',
} as const;
export type LiveEventName = (typeof LIVE_EVENT)[keyof typeof LIVE_EVENT];
