import {
  MAX_REPORT_SCHEDULES_PER_USER,
  type ReportScheduleKind,
  type ReportLanguage,
  type ReportRun,
  type ReportRunList,
  type ReportRunListQuery,
  type ReportRunStatus,
  type ReportSchedule,
  type ReportScheduleInput,
  type ReportScheduleList,
  type ReportScheduleTiming,
  type ReportScheduleUpdate,
} from '@fleet/contracts';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import { nextRunAt, previousPeriod } from '@fleet/reports';
import { and, desc, eq, sql } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../errors';
import { checkFleetRefs, OwnedRows, uniqueSorted, type Owner } from '../owned/owned';

const { reportRuns: runs, reportSchedules: schedules } = schema;

type Row = typeof schedules.$inferSelect;
type RunRow = typeof runs.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Written only through ReportScheduleInput / Update, whose values are checked (and the table's checks). */
function timingOf(r: Row): ReportScheduleTiming {
  if (r.frequency === 'weekly') return { frequency: 'weekly', weekday: r.weekday ?? 1, hour: r.hour };
  if (r.frequency === 'monthly') return { frequency: 'monthly', dayOfMonth: r.dayOfMonth ?? 1, hour: r.hour };
  return { frequency: 'daily', hour: r.hour };
}

const timingColumns = (t: ReportScheduleTiming) => ({
  frequency: t.frequency,
  hour: t.hour,
  weekday: t.frequency === 'weekly' ? t.weekday : null,
  dayOfMonth: t.frequency === 'monthly' ? t.dayOfMonth : null,
});

const toSchedule = (r: Row): ReportSchedule => ({
  id: r.id,
  name: r.name,
  kind: r.kind as ReportScheduleKind,
  vehicleIds: r.vehicleIds,
  groupIds: r.groupIds,
  recipients: r.recipients,
  timing: timingOf(r),
  timeZone: r.timeZone,
  language: r.language as ReportLanguage,
  enabled: r.enabled,
  nextRunAt: iso(r.nextRunAt),
  lastRunAt: iso(r.lastRunAt),
  lastStatus: r.lastStatus as ReportRunStatus | null,
  lastError: r.lastError,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const toReportRun = (r: RunRow): ReportRun => ({
  id: String(r.id),
  scheduleId: r.scheduleId,
  periodFrom: r.periodFrom.toISOString(),
  periodTo: r.periodTo.toISOString(),
  status: r.status as ReportRunStatus,
  attempts: r.attempts,
  error: r.error,
  sentAt: iso(r.sentAt),
  createdAt: r.createdAt.toISOString(),
});

/**
 * Scheduled reports (issue #16): the schedules and their run log. The worker sends them (it finds
 * due schedules, queues a run of the previous complete period and e-mails it); "run now" queues here.
 */
export class ReportSchedules {
  private readonly db: Database;
  private readonly owned: OwnedRows<typeof schedules>;

  constructor(
    pool: Pool,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = createDb(pool);
    this.owned = new OwnedRows(this.db, schedules, 'schedule');
  }

  async list(o: Owner): Promise<ReportScheduleList> {
    return { items: (await this.owned.list(o)).map(toSchedule) };
  }

  async get(o: Owner, id: string): Promise<ReportSchedule> {
    return toSchedule(await this.owned.get(o, id));
  }

  async create(o: Owner, input: ReportScheduleInput): Promise<ReportSchedule> {
    await checkFleetRefs(this.db, o, input);
    await this.owned.checkRoom(o, MAX_REPORT_SCHEDULES_PER_USER, 'scheduled reports');
    const [row] = await this.db
      .insert(schedules)
      .values({
        organizationId: o.org,
        userId: o.user,
        name: input.name,
        kind: input.kind,
        vehicleIds: uniqueSorted(input.vehicleIds),
        groupIds: uniqueSorted(input.groupIds),
        recipients: uniqueSorted(input.recipients.map((r) => r.toLowerCase())),
        ...timingColumns(input.timing),
        timeZone: input.timeZone,
        language: input.language,
        enabled: input.enabled,
        nextRunAt: input.enabled ? nextRunAt(input.timing, input.timeZone, this.now()) : null,
      })
      .returning();
    return toSchedule(row);
  }

  async update(o: Owner, id: string, patch: ReportScheduleUpdate): Promise<ReportSchedule> {
    const current = await this.owned.get(o, id);
    await checkFleetRefs(this.db, o, patch);
    const kind = patch.kind ?? current.kind;
    const ids = patch.vehicleIds ?? current.vehicleIds;
    const groups = patch.groupIds ?? current.groupIds;
    if (kind !== 'events' && ids.length === 0 && groups.length === 0)
      throw invalid('the report has no vehicles', [
        { path: 'vehicleIds', message: 'one or more vehicles or groups for the trips, stops and summary reports' },
      ]);
    const timing = patch.timing ?? timingOf(current);
    const timeZone = patch.timeZone ?? current.timeZone;
    const enabled = patch.enabled ?? current.enabled;
    const [row] = await this.db
      .update(schedules)
      .set({
        name: patch.name,
        kind: patch.kind,
        vehicleIds: patch.vehicleIds && uniqueSorted(patch.vehicleIds),
        groupIds: patch.groupIds && uniqueSorted(patch.groupIds),
        recipients: patch.recipients && uniqueSorted(patch.recipients.map((r) => r.toLowerCase())),
        ...timingColumns(timing),
        timeZone,
        language: patch.language,
        enabled,
        // From now on the new timing: a period already sent stays sent (the run log's unique key).
        nextRunAt: enabled ? nextRunAt(timing, timeZone, this.now()) : null,
        updatedAt: sql`now()`,
      })
      .where(this.owned.where(o, id))
      .returning();
    if (!row) throw notFound('schedule');
    return toSchedule(row);
  }

  /** Deletes the schedule with its run log (runs not sent yet never are). */
  remove(o: Owner, id: string): Promise<void> {
    return this.owned.remove(o, id);
  }

  /**
   * Queues a run of the last complete period (the worker sends it). A period is sent at most once:
   * one already queued is returned as it is, a failed one is queued again, a sent one is a 409.
   */
  async runNow(o: Owner, id: string): Promise<ReportRun> {
    const row = await this.owned.get(o, id);
    const period = previousPeriod(timingOf(row).frequency, row.timeZone, this.now());
    const [inserted] = await this.db
      .insert(runs)
      .values({ scheduleId: id, periodFrom: period.from, periodTo: period.to })
      .onConflictDoNothing()
      .returning();
    if (inserted) return toReportRun(inserted);
    const [requeued] = await this.db
      .update(runs)
      .set({ status: 'pending', attempts: 0, error: null, nextAttemptAt: sql`now()` })
      .where(and(eq(runs.scheduleId, id), eq(runs.periodFrom, period.from), eq(runs.status, 'failed')))
      .returning();
    if (requeued) return toReportRun(requeued);
    const [existing] = await this.db
      .select()
      .from(runs)
      .where(and(eq(runs.scheduleId, id), eq(runs.periodFrom, period.from)));
    if (existing?.status === 'sent')
      throw conflict(`the report of ${period.from.toISOString()} to ${period.to.toISOString()} was already sent`);
    if (!existing) throw notFound('schedule');
    return toReportRun(existing);
  }

  async runs(o: Owner, id: string, q: ReportRunListQuery): Promise<ReportRunList> {
    await this.owned.get(o, id);
    const rows = await this.db.select().from(runs).where(eq(runs.scheduleId, id)).orderBy(desc(runs.id)).limit(q.limit);
    return { items: rows.map(toReportRun) };
  }
}
