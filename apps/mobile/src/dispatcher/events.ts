import type { EventDetail, TrackingEvent } from '@fleet/contracts';

/** Events per page of the events screen (the list endpoint's `limit`). */
export const EVENTS_PAGE = 50;

/** Newest first, as the server lists them: by time, then by id for events of the same instant. */
function newestFirst(a: EventDetail, b: EventDetail): number {
  const dt = Date.parse(b.ts) - Date.parse(a.ts);
  if (dt !== 0 && Number.isFinite(dt)) return dt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The list with `incoming` added: one entry per event id, whichever way it arrived (a page, the live
 * stream, both), newest first. The later copy wins, but a name it lacks is kept from the earlier one
 * (an event built from the stream has no geofence name; the page's copy has it). Events in
 * `retracted` are left out: the server's default lists leave them out too.
 */
export function mergeEvents(
  current: readonly EventDetail[],
  incoming: readonly EventDetail[],
  retracted: ReadonlySet<string> = new Set(),
): EventDetail[] {
  const byId = new Map<string, EventDetail>();
  for (const e of current) byId.set(e.id, e);
  for (const e of incoming) {
    const known = byId.get(e.id);
    byId.set(
      e.id,
      known
        ? {
            ...known,
            ...e,
            vehicleName: e.vehicleName ?? known.vehicleName,
            geofenceName: e.geofenceName ?? known.geofenceName,
          }
        : e,
    );
  }
  for (const id of retracted) byId.delete(id);
  return [...byId.values()].sort(newestFirst);
}

/**
 * The list after the stream had a gap (events may have been missed): the newest page as the server
 * has it now, plus what the list holds at least as new as that page's oldest event (events the stream
 * delivered while the page was on its way). Older pages are dropped, and paging goes on from the new
 * page's cursor: a gap longer than a page leaves no hole in the list.
 */
export function afterGap(
  current: readonly EventDetail[],
  page: readonly EventDetail[],
  retracted: ReadonlySet<string> = new Set(),
): EventDetail[] {
  const oldest = page[page.length - 1];
  const recent = oldest ? current.filter((e) => newestFirst(e, oldest) <= 0) : [];
  return mergeEvents(recent, page, retracted);
}

/** The names an event from the live stream lacks, as far as the app already knows them. */
export interface KnownNames {
  vehicle(id: string): string | null | undefined;
  geofence(id: string): string | null | undefined;
}

/**
 * An event of the live stream as the list shows it, with the names the app knows; `complete` is false
 * when a name is missing (a vehicle not in the fleet list yet, a geofence no listed event named): the
 * caller then asks the server for the event (`getEvent`), which has them.
 */
export function detailOf(event: TrackingEvent, names: KnownNames): { detail: EventDetail; complete: boolean } {
  const vehicleName = names.vehicle(event.vehicleId) ?? null;
  const geofenceName = event.geofenceId ? (names.geofence(event.geofenceId) ?? null) : null;
  return {
    detail: { ...event, vehicleName, geofenceName },
    complete: vehicleName !== null && (event.geofenceId === null || geofenceName !== null),
  };
}

/** geofenceId → name, from the events listed so far. */
export function geofenceNames(events: readonly EventDetail[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of events) if (e.geofenceId && e.geofenceName) names.set(e.geofenceId, e.geofenceName);
  return names;
}
