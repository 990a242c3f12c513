import { z } from 'zod';
import { EventType, TrackingEvent } from './live';

/** An event as the events API and webhooks show it: the live-stream shape plus names, for people. */
export const EventDetail = TrackingEvent.extend({
  vehicleName: z.string().nullable(),
  /** Null when the event has no geofence, or the geofence was deleted since. */
  geofenceName: z.string().nullable(),
  /**
   * ISO-8601 when a late fix's re-evaluation retracted the event (the corrected sequence of fixes no
   * longer implies it: docs/events.md); null otherwise. Absent in webhook payloads.
   */
  retractedAt: z.string().nullable().optional(),
  /**
   * Where the event happened, for people: the geocoder's address, the organization's geofence around
   * the point, or "2.3 km NE of Alcobendas". In the events API when the event has a position; absent
   * in webhook payloads.
   */
  place: z.string().optional(),
});
export type EventDetail = z.infer<typeof EventDetail>;

export const MAX_EVENT_PAGE = 1000;

export const EventListQuery = z
  .object({
    vehicleId: z.uuid().optional(),
    /** Only events of vehicles of this group and of the groups below it. */
    groupId: z.uuid().optional(),
    type: EventType.optional(),
    geofenceId: z.uuid().optional(),
    /** ISO-8601; events at or after. */
    from: z.iso.datetime({ offset: true }).optional(),
    /** ISO-8601; events strictly before. */
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_EVENT_PAGE).default(100),
    /** `nextCursor` of the previous page. */
    cursor: z.string().max(200).optional(),
    /** `true` lists retracted events too (with their `retractedAt`); by default they are left out. */
    includeRetracted: z.enum(['true', 'false']).optional(),
  })
  .strict()
  .refine((q) => !q.from || !q.to || !(Date.parse(q.from) >= Date.parse(q.to)), {
    path: ['to'],
    message: 'to must be after from',
  });
export type EventListQuery = z.infer<typeof EventListQuery>;

/** Newest first; `nextCursor` is null on the last page. */
export const EventList = z.object({ items: z.array(EventDetail), nextCursor: z.string().nullable() });
export type EventList = z.infer<typeof EventList>;
