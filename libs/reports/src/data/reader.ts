import {
  MAX_REPORT_EVENTS,
  type EventDetail,
  type EventType,
  type ReportKind,
  type StopList,
  type SummaryReport,
  type TripList,
} from '@fleet/contracts';
import { createDb, schema, selectEventDetails, toEventDetail, type Database, type Pool } from '@fleet/db';
import type { TripStopOptions } from '@fleet/geo';
import type { Places } from '@fleet/places';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { ChartSeries, ReportData, ReportHeader } from '../model';
import { readChartSeries } from './chart-series';
import { detectPeriod, stopList, summaryReport, tripList } from './detection';
import { driversAt } from './drivers';
import { readMaintenanceStatus } from './maintenance';
import type { Period } from './period';

export interface ReportReaderDeps {
  pool: Pool;
  /** Places of stops, trips' ends and events. */
  places: Places;
  /**
   * Runs a read that holds a connection a while (a detection, a chart series): the API bounds them
   * per process with its gate; without it they run as they come.
   */
  heavy?: <T>(read: () => Promise<T>) => Promise<T>;
}

export interface ReportDataRequest {
  kind: ReportKind;
  /** Checked by the caller to be the organization's (a missing name shows the id). */
  vehicleIds: string[];
  period: Period;
  /** Trip and stop detection's thresholds (the geo defaults when absent). */
  detection?: TripStopOptions;
  /** Only events of this type (events report). */
  eventType?: EventType;
  /** Trips and summary also carry each vehicle's speed series (the PDF's chart). */
  charts?: boolean;
}

/**
 * The data of the reports, read from PostgreSQL for one organization's vehicles: trips, stops and
 * summary by detection over a vehicle's fixes, the events, and the header names. The API answers
 * them as JSON and files; the worker attaches them to scheduled reports' e-mails. Checking that a
 * vehicle is the organization's is the caller's (the API's 404).
 */
export class ReportReader {
  readonly db: Database;

  constructor(private readonly deps: ReportReaderDeps) {
    this.db = createDb(deps.pool);
  }

  private heavy<T>(read: () => Promise<T>): Promise<T> {
    return this.deps.heavy ? this.deps.heavy(read) : read();
  }

  async trips(org: string, vehicleId: string, period: Period, options: TripStopOptions = {}): Promise<TripList> {
    const list = tripList(await this.heavy(() => detectPeriod(this.deps.pool, vehicleId, period, options)));
    // One batch for every start and end (outside the heavy gate: it holds no connection meanwhile).
    const places = await this.deps.places.describe(
      org,
      list.items.flatMap((t) => [t.start, t.end]),
    );
    // The driver whose assignment covers each start (one short statement).
    const drivers = await driversAt(
      this.deps.pool,
      vehicleId,
      list.items.map((t) => t.startTime),
    );
    list.items.forEach((t, i) => {
      t.start.place = places[2 * i];
      t.end.place = places[2 * i + 1];
      t.driver = drivers[i];
    });
    return list;
  }

  async stops(org: string, vehicleId: string, period: Period, options: TripStopOptions = {}): Promise<StopList> {
    const list = stopList(await this.heavy(() => detectPeriod(this.deps.pool, vehicleId, period, options)));
    const places = await this.deps.places.describe(org, list.items);
    const drivers = await driversAt(
      this.deps.pool,
      vehicleId,
      list.items.map((s) => s.startTime),
    );
    list.items.forEach((s, i) => {
      s.place = places[i];
      s.driver = drivers[i];
    });
    return list;
  }

  async summary(vehicleId: string, period: Period, options: TripStopOptions = {}): Promise<SummaryReport> {
    return summaryReport(await this.heavy(() => detectPeriod(this.deps.pool, vehicleId, period, options)));
  }

  /** A second read of the period for the PDF's chart, through the same limit as the detection. */
  chartSeries(vehicleId: string, period: Period): Promise<ChartSeries> {
    return this.heavy(() => readChartSeries(this.deps.pool, vehicleId, period));
  }

  /**
   * What a report file shows: the report of each vehicle, or the events, with the header. One
   * vehicle after another: each detection holds a connection.
   */
  async data(org: string, request: ReportDataRequest, generatedAt = new Date()): Promise<ReportData> {
    const { kind, period, detection = {} } = request;
    const ids = [...new Set(request.vehicleIds)];
    const names = await this.vehicleNames(org, ids);
    const header: ReportHeader = {
      organization: await this.organizationName(org),
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      vehicles: ids.map((id) => names.get(id) ?? id),
      generatedAt: generatedAt.toISOString(),
    };
    const withSeries = request.charts === true && (kind === 'trips' || kind === 'summary');
    const each = async <T>(report: (id: string) => Promise<T>) => {
      const out: Array<{ vehicleName: string; report: T; series?: ChartSeries }> = [];
      for (const id of ids) {
        const item: (typeof out)[number] = { vehicleName: names.get(id) ?? id, report: await report(id) };
        if (withSeries) item.series = await this.chartSeries(id, period);
        out.push(item);
      }
      return out;
    };
    switch (kind) {
      case 'trips':
        return { kind, header, vehicles: await each((id) => this.trips(org, id, period, detection)) };
      case 'stops':
        return { kind, header, vehicles: await each((id) => this.stops(org, id, period, detection)) };
      case 'summary':
        return { kind, header, vehicles: await each((id) => this.summary(id, period, detection)) };
      case 'events': {
        const { events, truncated } = await this.events(org, ids, header, request.eventType);
        return { kind, header, events, truncatedAt: truncated ? MAX_REPORT_EVENTS : undefined };
      }
      case 'maintenance':
        return { kind, header, maintenance: await readMaintenanceStatus(this.deps.pool, org, ids) };
    }
  }

  /** The period's events (not retracted), oldest first; the newest MAX_REPORT_EVENTS when there are more. */
  async events(org: string, ids: string[], period: { from: string; to: string }, type?: EventDetail['type']) {
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
    const places = await this.deps.places.describe(
      org,
      list.map((e) => (e.lat === null || e.lon === null ? null : { lat: e.lat, lon: e.lon })),
    );
    return { events: list.map((e, i) => (places[i] === undefined ? e : { ...e, place: places[i] })), truncated };
  }

  /** Names of those of the ids that are the organization's vehicles. */
  async vehicleNames(org: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { vehicles } = schema;
    const rows = await this.db
      .select({ id: vehicles.id, name: vehicles.name })
      .from(vehicles)
      .where(and(eq(vehicles.organizationId, org), inArray(vehicles.id, ids)));
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async organizationName(org: string): Promise<string> {
    const { organizations } = schema;
    const [row] = await this.db
      .select({ name: organizations.name })
      .from(organizations)
      .where(eq(organizations.id, org));
    return row?.name ?? '';
  }
}
