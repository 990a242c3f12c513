import { localTime, zonedToInstant } from '@fleet/notify';

/**
 * When a scheduled report runs and which period it covers, on the wall clock of the schedule's time
 * zone (so a daily report at 07:00 in Europe/Madrid stays at 07:00 across DST changes, and "yesterday"
 * is 23 or 25 hours long on the nights the clocks change).
 */

export type ScheduleTiming =
  | { frequency: 'daily'; hour: number }
  /** weekday: 1 Monday … 7 Sunday. */
  | { frequency: 'weekly'; weekday: number; hour: number }
  /** dayOfMonth: 1–31; a shorter month runs on its last day. */
  | { frequency: 'monthly'; dayOfMonth: number; hour: number };

export interface SchedulePeriod {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const addDays = (d: LocalDate, n: number): LocalDate => {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
};
/** 1 Monday … 7 Sunday. */
const isoWeekday = (d: LocalDate) => ((new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7) + 1;
const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** The first instant of a local day (the instant the clocks jump to when midnight is skipped). */
const startOfDay = (d: LocalDate, timeZone: string) => zonedToInstant({ ...d, hour: 0, minute: 0 }, timeZone);

function runsOn(t: ScheduleTiming, d: LocalDate): boolean {
  switch (t.frequency) {
    case 'daily':
      return true;
    case 'weekly':
      return isoWeekday(d) === t.weekday;
    case 'monthly':
      return d.day === Math.min(t.dayOfMonth, daysInMonth(d.year, d.month));
  }
}

/** The first run strictly after `after`: the schedule's hour on its next day, in its time zone. */
export function nextRunAt(t: ScheduleTiming, timeZone: string, after: Date): Date {
  const l = localTime(after, timeZone);
  let d: LocalDate = { year: l.year, month: l.month, day: l.day };
  // A month and a bit covers every monthly day; the loop ends on the first matching day after `after`.
  for (let i = 0; i < 64; i++, d = addDays(d, 1)) {
    if (!runsOn(t, d)) continue;
    const at = zonedToInstant({ ...d, hour: t.hour, minute: 0 }, timeZone);
    if (at.getTime() > after.getTime()) return at;
  }
  throw new Error(`no run of ${t.frequency} schedule within 64 days of ${after.toISOString()}`);
}

/**
 * The last complete period before `at` in the time zone: yesterday, last week (Monday to Sunday) or
 * last month, from its first local midnight to the next period's.
 */
export function previousPeriod(frequency: ScheduleTiming['frequency'], timeZone: string, at: Date): SchedulePeriod {
  const l = localTime(at, timeZone);
  const today: LocalDate = { year: l.year, month: l.month, day: l.day };
  let start: LocalDate;
  let end: LocalDate;
  switch (frequency) {
    case 'daily':
      end = today;
      start = addDays(today, -1);
      break;
    case 'weekly':
      end = addDays(today, 1 - isoWeekday(today));
      start = addDays(end, -7);
      break;
    case 'monthly':
      end = { year: today.year, month: today.month, day: 1 };
      start = end.month === 1 ? { year: end.year - 1, month: 12, day: 1 } : { ...end, month: end.month - 1 };
      break;
  }
  return { from: startOfDay(start, timeZone), to: startOfDay(end, timeZone) };
}
