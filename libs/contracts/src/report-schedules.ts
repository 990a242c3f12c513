import { z } from 'zod';
import { isTimeZone, MAX_REPORT_VEHICLES, ReportKind, ReportLanguage } from './reports';

/**
 * Scheduled reports (issue #16): a report file (PDF and CSV) of some vehicles, e-mailed every day,
 * week or month at an hour of the schedule's time zone, for the previous complete period.
 */

/** Schedules per user: each one is a report built and e-mailed by the worker. */
export const MAX_REPORT_SCHEDULES_PER_USER = 50;
/** Addresses one schedule e-mails. */
export const MAX_REPORT_RECIPIENTS = 20;

export const ReportFrequency = z.enum(['daily', 'weekly', 'monthly']);
export type ReportFrequency = z.infer<typeof ReportFrequency>;

const name = z.string().trim().min(1).max(100);
const vehicleIds = z.array(z.uuid()).max(MAX_REPORT_VEHICLES);
/** Vehicle groups: their vehicles and their subgroups' as they are when a report is sent. */
const groupIds = z.array(z.uuid()).max(50);
const recipients = z
  .array(z.email({ error: 'an e-mail address (name@example.com)' }).max(320))
  .min(1, 'at least one e-mail address')
  .max(MAX_REPORT_RECIPIENTS);
const hour = z.number().int().min(0, 'an hour from 0 to 23').max(23, 'an hour from 0 to 23');
/** 1 Monday … 7 Sunday (ISO 8601). */
const weekday = z
  .number()
  .int()
  .min(1, 'a weekday from 1 (Monday) to 7 (Sunday)')
  .max(7, 'a weekday from 1 (Monday) to 7 (Sunday)');
/** A month shorter than this day sends on its last day. */
const dayOfMonth = z
  .number()
  .int()
  .min(1, 'a day of the month from 1 to 31')
  .max(31, 'a day of the month from 1 to 31');
const timeZone = z.string().refine(isTimeZone, 'an IANA time zone (e.g. Europe/Madrid)');

/** The kinds a schedule can send: every report kind (maintenance since migration 0019). */
export const ReportScheduleKind = ReportKind;
export type ReportScheduleKind = z.infer<typeof ReportScheduleKind>;

/** When a schedule sends, and which period: the day, the week (Monday to Sunday) or the month before. */
export const ReportScheduleTiming = z.discriminatedUnion('frequency', [
  z.object({ frequency: z.literal('daily'), hour }).strict(),
  z.object({ frequency: z.literal('weekly'), weekday, hour }).strict(),
  z.object({ frequency: z.literal('monthly'), dayOfMonth, hour }).strict(),
]);
export type ReportScheduleTiming = z.infer<typeof ReportScheduleTiming>;

const needsVehicles = (s: { kind?: ReportKind; vehicleIds?: readonly string[]; groupIds?: readonly string[] }) =>
  s.kind === undefined || s.kind === 'events' || (s.vehicleIds?.length ?? 0) + (s.groupIds?.length ?? 0) > 0;
const vehiclesIssue = {
  message: 'one or more vehicles or groups for the trips, stops and summary reports',
  path: ['vehicleIds'],
};

export const ReportScheduleInput = z
  .object({
    name,
    kind: ReportScheduleKind,
    /** Empty, and no groups: every vehicle (events report only). */
    vehicleIds: vehicleIds.default([]),
    groupIds: groupIds.default([]),
    recipients,
    timing: ReportScheduleTiming,
    timeZone: timeZone.default('UTC'),
    language: ReportLanguage.default('en'),
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine(needsVehicles, vehiclesIssue);
export type ReportScheduleInput = z.infer<typeof ReportScheduleInput>;

/** A change: only the fields given; `kind`, `vehicleIds` and `groupIds` are checked together with the stored ones. */
export const ReportScheduleUpdate = z
  .object({
    name: name.optional(),
    kind: ReportScheduleKind.optional(),
    vehicleIds: vehicleIds.optional(),
    groupIds: groupIds.optional(),
    recipients: recipients.optional(),
    timing: ReportScheduleTiming.optional(),
    timeZone: timeZone.optional(),
    language: ReportLanguage.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type ReportScheduleUpdate = z.infer<typeof ReportScheduleUpdate>;

export const ReportRunStatus = z.enum(['pending', 'sent', 'failed']);
export type ReportRunStatus = z.infer<typeof ReportRunStatus>;

export const ReportSchedule = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: ReportScheduleKind,
  vehicleIds: z.array(z.uuid()),
  groupIds: z.array(z.uuid()),
  recipients: z.array(z.string()),
  timing: ReportScheduleTiming,
  timeZone: z.string(),
  language: ReportLanguage,
  enabled: z.boolean(),
  /** The next send (null while disabled). */
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastStatus: ReportRunStatus.nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReportSchedule = z.infer<typeof ReportSchedule>;

export const ReportScheduleList = z.object({ items: z.array(ReportSchedule) });
export type ReportScheduleList = z.infer<typeof ReportScheduleList>;

/** One period of one schedule: queued (pending, retried after a transient failure), sent or failed. */
export const ReportRun = z.object({
  id: z.string(),
  scheduleId: z.uuid(),
  /** The period reported: `from` inclusive, `to` exclusive. */
  periodFrom: z.string(),
  periodTo: z.string(),
  status: ReportRunStatus,
  attempts: z.number().int(),
  error: z.string().nullable(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
});
export type ReportRun = z.infer<typeof ReportRun>;

export const ReportRunListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();
export type ReportRunListQuery = z.infer<typeof ReportRunListQuery>;

/** Newest first. */
export const ReportRunList = z.object({ items: z.array(ReportRun) });
export type ReportRunList = z.infer<typeof ReportRunList>;
