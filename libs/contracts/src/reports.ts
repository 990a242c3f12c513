import { z } from 'zod';
import { EventType } from './live';
import { ReportQuery } from './tracking';

/**
 * Report files (PDF, CSV) of the reports the API computes as JSON: trips, stops and summary of one
 * or more vehicles, and the organization's events, over one period, in a language and a time zone.
 */

export const ReportKind = z.enum(['trips', 'stops', 'summary', 'events', 'maintenance']);
export type ReportKind = z.infer<typeof ReportKind>;

export const ReportLanguage = z.enum(['en', 'es']);
export type ReportLanguage = z.infer<typeof ReportLanguage>;

/** Vehicles one report file may cover (each one's trips and stops are detected in turn). */
export const MAX_REPORT_VEHICLES = 25;

/** Events one report file lists at most (the newest ones of the period, then oldest first). */
export const MAX_REPORT_EVENTS = 10_000;

/** Whether the runtime knows an IANA time zone name (`Europe/Madrid`, `UTC`). */
export function isTimeZone(name: string): boolean {
  if (!name || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const uuidList = new RegExp(
  `^${'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'}(,[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*$`,
  'i',
);

export const ReportFileParams = z.object({ kind: ReportKind });
export type ReportFileParams = z.infer<typeof ReportFileParams>;

export const ReportFileQuery = z
  .object({
    ...ReportQuery.shape,
    /**
     * The vehicles, comma-separated ids (at most MAX_REPORT_VEHICLES). Required for trips, stops and
     * summary; events: all of the organization's vehicles when absent.
     */
    vehicleIds: z
      .string()
      .max(MAX_REPORT_VEHICLES * 37)
      .regex(uuidList, 'vehicle ids, comma-separated')
      .refine((s) => s.split(',').length <= MAX_REPORT_VEHICLES, `at most ${MAX_REPORT_VEHICLES} vehicles`)
      .optional(),
    /**
     * The vehicles of this group and of the groups below it (with `vehicleIds`: those of them in it).
     * Enough on its own for every kind.
     */
    groupId: z.uuid().optional(),
    /** Events report: only this type. */
    type: EventType.optional(),
    /** Language of the headings, labels and number format. */
    lang: ReportLanguage.default('en'),
    /** IANA time zone the times are written in (`Europe/Madrid`). */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone name such as Europe/Madrid').default('UTC'),
    /** CSV: start with a UTF-8 byte order mark, which Excel needs to read the accents right. */
    bom: z.enum(['true', 'false']).optional(),
  })
  .strict();
export type ReportFileQuery = z.infer<typeof ReportFileQuery>;
