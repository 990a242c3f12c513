import {
  MAX_REPORT_EVENTS,
  type EventDetail,
  type ReportFileQuery,
  type ReportKind,
  type StopList,
  type SummaryReport,
  type TripList,
} from '@fleet/contracts';
import { createDb, schema, selectEventDetails, toEventDetail, type Database, type Pool } from '@fleet/db';
import type { Places } from '@fleet/places';
import {
  renderCsv,
  renderPdf,
  reportFileName,
  type ChartSeries,
  type ReportData,
  type ReportHeader,
} from '@fleet/reports';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { invalid, notFound } from '../errors';
import { resolvePeriod } from '../tracking/period';
import type { Tracking } from '../tracking/tracking';
import { readChartSeries } from './chart-series';

export interface ReportFile {
  body: Buffer | string;
  contentType: string;
  fileName: string;
}

/**
 * The reports of the JSON endpoints as files (PDF, CSV) for one organization: the same detection
 * (through `Tracking`, so the same limits and the same 404 for another organization's vehicle),
 * with the names a person reads, rendered by @fleet/reports in a language and a time zone.
 */
export class ReportFiles {
  private readonly db: Database;

  constructor(
    pool: Pool,
    private readonly tracking: Tracking,
    private readonly places: Places,
  ) {
    this.db = createDb(pool);
  }

  async file(org: string, kind: ReportKind, q: ReportFileQuery, format: 'pdf' | 'csv'): Promise<ReportFile> {
    const data = await this.data(org, kind, q, { charts: format === 'pdf' });
    const options = { lang: q.lang, timeZone: q.timeZone };
    const fileName = reportFileName(kind, data.header, { timeZone: q.timeZone, extension: format });
    return format === 'pdf'
      ? { body: await renderPdf(data, options), contentType: 'application/pdf', fileName }
      : {
          body: renderCsv(data, { ...options, bom: q.bom === 'true' }),
          contentType: 'text/csv; charset=utf-8',
          fileName,
        };
  }

  /**
   * What a report file shows: the report of each vehicle, or the events, with the header; with
   * `charts`, the trips and summary reports also carry each vehicle's speed series (the PDF's chart).
   */
  async data(
    org: string,
    kind: ReportKind,
    q: ReportFileQuery,
    { charts = false }: { charts?: boolean } = {},
  ): Promise<ReportData> {
    const period = resolvePeriod(q);
    const ids = q.vehicleIds ? [...new Set(q.vehicleIds.toLowerCase().split(','))] : [];
    if (ids.length === 0 && kind !== 'events')
      throw invalid(`vehicleIds is required for the ${kind} report`, [
        { path: 'vehicleIds', message: 'one or more vehicle ids, comma-separated' },
      ]);
    const names = await this.vehicleNames(org, ids);
    const header: ReportHeader = {
      organization: await this.organizationName(org),
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      vehicles: ids.map((id) => names.get(id) ?? id),
      generatedAt: new Date().toISOString(),
    };
    const query = { ...q, from: header.from, to: header.to };
    // One vehicle after another: each detection holds a connection, and the gate bounds them per process.
    const withSeries = charts && (kind === 'trips' || kind === 'summary');
    const each = async <T>(report: (id: string) => Promise<T>) => {
      const out: Array<{ vehicleName: string; report: T; series?: ChartSeries }> = [];
      for (const id of ids) {
        const item: (typeof out)[number] = { vehicleName: names.get(id) ?? id, report: await report(id) };
        // A second read of the period, through the same limit as the detection: one COPY per window.
        if (withSeries) item.series = await this.tracking.runHeavy((pool) => readChartSeries(pool, id, period));
        out.push(item);
      }
      return out;
    };
    switch (kind) {
      case 'trips':
        return { kind, header, vehicles: await each<TripList>((id) => this.tracking.trips(org, id, query)) };
      case 'stops':
        return { kind, header, vehicles: await each<StopList>((id) => this.tracking.stops(org, id, query)) };
      case 'summary':
        return { kind, header, vehicles: await each<SummaryReport>((id) => this.tracking.summary(org, id, query)) };
      case 'events': {
        const { events, truncated } = await this.events(org, ids, header, q.type);
        return { kind, header, events, truncatedAt: truncated ? MAX_REPORT_EVENTS : undefined };
      }
    }
  }

  /** The period's events (not retracted), oldest first; the newest MAX_REPORT_EVENTS when there are more. */
  private async events(org: string, ids: string[], period: { from: string; to: string }, type?: EventDetail['type']) {
    const { events } = schema;
    const rows = await selectEventDetails(this.db)
      .where(
        and(
          eq(events.organizationId, org),
          isNull(events.retractedAt),
          ids.length ? inArray(events.vehicleId, ids) : undefined,
          type ? eq(events.type, type) : undefined,
          sql`${events.ts} >= ${period.from}`,
          sql`${events.ts} < ${period.to}`,
        ),
      )
      .orderBy(desc(events.ts), desc(events.id))
      .limit(MAX_REPORT_EVENTS + 1);
    const truncated = rows.length > MAX_REPORT_EVENTS;
    const list = rows.slice(0, MAX_REPORT_EVENTS).reverse().map(toEventDetail);
    // Each event with a position gets its place, like the events list, in one batch.
    const places = await this.places.describe(
      org,
      list.map((e) => (e.lat === null || e.lon === null ? null : { lat: e.lat, lon: e.lon })),
    );
    return { events: list.map((e, i) => (places[i] === undefined ? e : { ...e, place: places[i] })), truncated };
  }

  /** Names of the organization's vehicles by id; 404 when one is not there (another organization's). */
  private async vehicleNames(org: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { vehicles } = schema;
    const rows = await this.db
      .select({ id: vehicles.id, name: vehicles.name })
      .from(vehicles)
      .where(and(eq(vehicles.organizationId, org), inArray(vehicles.id, ids)));
    if (rows.length !== ids.length) throw notFound('vehicle');
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  private async organizationName(org: string): Promise<string> {
    const { organizations } = schema;
    const [row] = await this.db
      .select({ name: organizations.name })
      .from(organizations)
      .where(eq(organizations.id, org));
    return row?.name ?? '';
  }
}
