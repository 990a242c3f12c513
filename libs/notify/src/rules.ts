import { EventType, type TrackingEvent } from '@fleet/contracts';
import { z } from 'zod';
import type { ChannelKind, NotificationRule, QuietHours } from './types';
import { isValidTimeZone, localTime, nextDay, zonedToInstant } from './zoned-time';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A rule as it will be stored and edited: the parse gives 4xx-ready messages naming the bad field. */
export const NotificationRuleSchema = z.object({
  id: z.string().min(1),
  eventTypes: z.array(EventType),
  vehicleIds: z.array(z.string().min(1)).optional(),
  groupIds: z.array(z.string().min(1)).optional(),
  channels: z.array(z.enum(['email', 'telegram'])).min(1, 'at least one channel'),
  timeZone: z.string().refine(isValidTimeZone, 'not an IANA time zone (e.g. Europe/Madrid)'),
  quietHours: z
    .object({
      start: z.string().regex(HHMM, 'HH:MM, 00:00 to 23:59'),
      end: z.string().regex(HHMM, 'HH:MM, 00:00 to 23:59'),
      mode: z.enum(['skip', 'defer']),
    })
    .nullable()
    .optional(),
});

/**
 * The groups a vehicle is in, innermost first and then each ancestor ("Depot Norte", then "Madrid"),
 * so a rule on a region covers its depots. Undefined or empty: in no group.
 */
export type GroupsOf = (vehicleId: string) => readonly string[] | null | undefined;

export type RuleDecision =
  | { send: true; channels: readonly ChannelKind[]; at: Date; deferred: boolean }
  | { send: false; reason: 'event_type' | 'vehicle' | 'quiet_hours' | 'no_channel' };

/** Whether the rule is about this event at all (type, then vehicle or one of its groups). */
export function ruleCovers(
  rule: Pick<NotificationRule, 'eventTypes' | 'vehicleIds' | 'groupIds'>,
  event: Pick<TrackingEvent, 'type' | 'vehicleId'>,
  groupsOf?: GroupsOf,
): { covered: true } | { covered: false; reason: 'event_type' | 'vehicle' } {
  if (!rule.eventTypes.includes(event.type)) return { covered: false, reason: 'event_type' };
  const vehicles = rule.vehicleIds ?? [];
  const groups = rule.groupIds ?? [];
  if (vehicles.length === 0 && groups.length === 0) return { covered: true };
  if (vehicles.includes(event.vehicleId)) return { covered: true };
  // Without a lookup (no groups yet) a group rule covers nothing rather than everything.
  const its = groupsOf?.(event.vehicleId) ?? [];
  if (its.some((g) => groups.includes(g))) return { covered: true };
  return { covered: false, reason: 'vehicle' };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When the quiet period `now` falls in ends, or null when `now` is not in quiet hours. Judged on the
 * wall clock in `timeZone`, so it holds across DST changes: 22:00–07:00 is quiet from 22:00 to 07:00
 * local whether that night lasts 8, 9 or 10 hours. An end skipped by the clocks going forward ends
 * the quiet period at the jump.
 */
export function quietUntil(quiet: Pick<QuietHours, 'start' | 'end'>, timeZone: string, now: Date): Date | null {
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return null;
  const local = localTime(now, timeZone);
  const t = local.hour * 60 + local.minute;
  const endDate = { hour: Math.floor(end / 60), minute: end % 60 };
  if (start < end) {
    // Same-day period, e.g. 13:00–15:00.
    if (t < start || t >= end) return null;
    return zonedToInstant({ year: local.year, month: local.month, day: local.day, ...endDate }, timeZone);
  }
  // Across midnight, e.g. 22:00–07:00: quiet in the evening (ends tomorrow) or in the morning (today).
  if (t >= start) return zonedToInstant({ ...nextDay(local), ...endDate }, timeZone);
  if (t < end) return zonedToInstant({ year: local.year, month: local.month, day: local.day, ...endDate }, timeZone);
  return null;
}

/**
 * Whether, through which channels and when to notify of `event` under `rule`, decided at `now` (the
 * moment of sending, not the event's time: quiet hours are about waking people up).
 */
export function decide(
  rule: NotificationRule,
  event: Pick<TrackingEvent, 'type' | 'vehicleId'>,
  options: { now: Date; groupsOf?: GroupsOf },
): RuleDecision {
  const covers = ruleCovers(rule, event, options.groupsOf);
  if (!covers.covered) return { send: false, reason: covers.reason };
  if (rule.channels.length === 0) return { send: false, reason: 'no_channel' };
  const quietHours = rule.quietHours;
  const until = quietHours ? quietUntil(quietHours, rule.timeZone, options.now) : null;
  if (!quietHours || !until) return { send: true, channels: rule.channels, at: options.now, deferred: false };
  if (quietHours.mode === 'skip') return { send: false, reason: 'quiet_hours' };
  return { send: true, channels: rule.channels, at: until, deferred: true };
}
