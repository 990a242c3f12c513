import type {
  EventDetail,
  ReportLanguage,
  StopList,
  SummaryReport,
  TripList,
  VehicleMaintenance,
} from '@fleet/contracts';

/** What every report file states at its top. */
export interface ReportHeader {
  organization: string;
  /** The period, ISO-8601: `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
  /** Names of the vehicles covered; empty: every vehicle of the organization (events). */
  vehicles: string[];
  /** ISO-8601; default: when it is rendered. */
  generatedAt?: string;
}

/**
 * A vehicle's measurements over the period, thinned for a chart: columns of equal length, one entry
 * per point kept. A column of a measurement no fix of the period has is left out.
 */
export interface ChartSeries {
  /** Epoch milliseconds, ascending. */
  t: number[];
  /** km/h; null where the fix did not say. */
  speedKmh: Array<number | null>;
  /** Metres above sea level. */
  altitudeM?: Array<number | null>;
  /** Percent. */
  batteryPct?: Array<number | null>;
  /**
   * Indexes of the points a new line starts at: the fixes between the point before and this one were
   * more than a gap apart somewhere (5 minutes: parked, or out of coverage), so no line joins them.
   */
  breaks: number[];
}

/** One vehicle's report, as the JSON endpoints answer it. */
export interface VehicleReport<T> {
  vehicleName: string;
  report: T;
  /** The speed chart's data (trips and summary reports); no chart without it. */
  series?: ChartSeries;
}

/** The data of one report file: what the API computed, with names for people. */
export type ReportData =
  | { kind: 'trips'; header: ReportHeader; vehicles: VehicleReport<TripList>[] }
  | { kind: 'stops'; header: ReportHeader; vehicles: VehicleReport<StopList>[] }
  | { kind: 'summary'; header: ReportHeader; vehicles: VehicleReport<SummaryReport>[] }
  | {
      kind: 'events';
      header: ReportHeader;
      /** Oldest first. */
      events: EventDetail[];
      /** More events than listed fell in the period (`truncatedAt` is how many are listed). */
      truncatedAt?: number;
    }
  | {
      kind: 'maintenance';
      header: ReportHeader;
      /** Each vehicle's rules and status at generation (overdue first); the period is not used. */
      maintenance: VehicleMaintenance[];
    };

export interface RenderOptions {
  lang: ReportLanguage;
  /** IANA time zone the times are written in. */
  timeZone: string;
}
