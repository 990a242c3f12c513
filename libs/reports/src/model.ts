import type { EventDetail, ReportLanguage, StopList, SummaryReport, TripList } from '@fleet/contracts';

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

/** One vehicle's report, as the JSON endpoints answer it. */
export interface VehicleReport<T> {
  vehicleName: string;
  report: T;
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
    };

export interface RenderOptions {
  lang: ReportLanguage;
  /** IANA time zone the times are written in. */
  timeZone: string;
}
