import type { EventDetail } from '@fleet/contracts';
import type { ReportData, RenderOptions } from './model';
import { duration, Formatter, strings, type Strings } from './text';

/** A CSV cell: numbers are written as numbers, text is quoted and guarded as needed. */
export type CsvCell = string | number | null;

/** A column of the PDF table: its heading, relative width and alignment. */
export interface PdfColumn {
  title: string;
  width: number;
  align?: 'left' | 'right';
}

/** One report as rows, once for CSV (machine-readable values) and once for the PDF (for people). */
export interface ReportTables {
  csv: { header: string[]; rows: CsvCell[][] };
  pdf: { columns: PdfColumn[]; rows: string[][]; landscape?: boolean };
  /** Key figures of the whole report (label, value), printed above the PDF table. */
  totals: Array<[string, string]>;
  /** Remarks on how the report was made (sampling, truncation). */
  notes: string[];
}

const fixed = (value: number, digits: number) => Number(value.toFixed(digits));
const km = (metres: number) => fixed(metres / 1000, 3);
const whole = (seconds: number) => Math.round(seconds);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function sampledNotes(t: Strings, vehicles: Array<{ vehicleName: string; report: { sampledEvery: number } }>) {
  return vehicles.filter((v) => v.report.sampledEvery > 1).map((v) => t.sampled(v.vehicleName, v.report.sampledEvery));
}

/** The rows of a report file in a language and a time zone. */
export function tablesOf(data: ReportData, options: RenderOptions): ReportTables {
  const t = strings(options.lang);
  const f = new Formatter(options.lang, options.timeZone);
  switch (data.kind) {
    case 'trips': {
      const trips = data.vehicles.flatMap((v) => v.report.items.map((trip) => ({ name: v.vehicleName, trip })));
      const routes = trips.some(({ trip }) => trip.start.place !== undefined || trip.end.place !== undefined);
      // The driver column only when someone drove: reports of fleets without drivers stay as they were.
      const drivers = trips.some(({ trip }) => trip.driver);
      return {
        csv: {
          header: [
            t.vehicle,
            t.start,
            t.end,
            `${t.duration} (s)`,
            `${t.distance} (km)`,
            `${t.maxSpeed} (km/h)`,
            `${t.avgSpeed} (km/h)`,
            `${t.idle} (s)`,
            t.startLat,
            t.startLon,
            t.endLat,
            t.endLon,
            t.startPlace,
            t.endPlace,
            t.driver,
          ],
          rows: trips.map(({ name, trip }) => [
            name,
            f.isoLocal(trip.startTime),
            f.isoLocal(trip.endTime),
            whole(trip.durationS),
            km(trip.distanceM),
            fixed(trip.maxSpeedKmh, 1),
            fixed(trip.avgSpeedKmh, 1),
            whole(trip.idleS),
            fixed(trip.start.lat, 6),
            fixed(trip.start.lon, 6),
            fixed(trip.end.lat, 6),
            fixed(trip.end.lon, 6),
            trip.start.place ?? '',
            trip.end.place ?? '',
            trip.driver?.name ?? '',
          ]),
        },
        pdf: {
          columns: [
            // The driver's column takes its room from the vehicle's and the figures' (times and places keep theirs).
            { title: t.vehicle, width: drivers ? 12 : 16 },
            ...(drivers ? [{ title: t.driver, width: 11 }] : []),
            { title: t.start, width: 15 },
            { title: t.end, width: 15 },
            { title: t.duration, width: drivers ? 9 : 10, align: 'right' },
            { title: t.distance, width: 11, align: 'right' },
            { title: t.maxSpeed, width: drivers ? 9 : 11, align: 'right' },
            { title: t.avgSpeed, width: drivers ? 9 : 11, align: 'right' },
            { title: t.idle, width: drivers ? 8 : 10, align: 'right' },
            ...(routes ? [{ title: t.route, width: 34 }] : []),
          ],
          rows: trips.map(({ name, trip }) => [
            name,
            ...(drivers ? [trip.driver?.name ?? ''] : []),
            f.dateTime(trip.startTime),
            f.dateTime(trip.endTime),
            duration(trip.durationS),
            f.km(trip.distanceM),
            f.speed(trip.maxSpeedKmh),
            f.speed(trip.avgSpeedKmh),
            duration(trip.idleS),
            ...(routes ? [`${trip.start.place ?? ''} → ${trip.end.place ?? ''}`] : []),
          ]),
          // With the places (or the drivers), a trip's row is too wide for a portrait page.
          landscape: routes || drivers,
        },
        totals: [
          [t.trips, f.number(trips.length, 0)],
          [t.distance, f.km(sum(trips.map((x) => x.trip.distanceM)))],
          [t.duration, duration(sum(trips.map((x) => x.trip.durationS)))],
          [t.idle, duration(sum(trips.map((x) => x.trip.idleS)))],
          [t.maxSpeed, f.speed(Math.max(0, ...trips.map((x) => x.trip.maxSpeedKmh)))],
        ],
        notes: sampledNotes(t, data.vehicles),
      };
    }
    case 'stops': {
      const stops = data.vehicles.flatMap((v) => v.report.items.map((stop) => ({ name: v.vehicleName, stop })));
      const gap = (b: boolean) => (b ? t.yes : t.no);
      const places = stops.some(({ stop }) => stop.place !== undefined);
      const drivers = stops.some(({ stop }) => stop.driver);
      return {
        csv: {
          header: [t.vehicle, t.start, t.end, `${t.duration} (s)`, t.lat, t.lon, t.dataGap, t.place, t.driver],
          rows: stops.map(({ name, stop }) => [
            name,
            f.isoLocal(stop.startTime),
            f.isoLocal(stop.endTime),
            whole(stop.durationS),
            fixed(stop.lat, 6),
            fixed(stop.lon, 6),
            gap(stop.spansDataGap),
            stop.place ?? '',
            stop.driver?.name ?? '',
          ]),
        },
        pdf: {
          columns: [
            { title: t.vehicle, width: 18 },
            ...(drivers ? [{ title: t.driver, width: 14 }] : []),
            { title: t.start, width: 16 },
            { title: t.end, width: 16 },
            { title: t.duration, width: 11, align: 'right' },
            { title: places ? t.place : t.position, width: 25 },
            { title: t.dataGap, width: 9 },
          ],
          rows: stops.map(({ name, stop }) => [
            name,
            ...(drivers ? [stop.driver?.name ?? ''] : []),
            f.dateTime(stop.startTime),
            f.dateTime(stop.endTime),
            duration(stop.durationS),
            stop.place ?? `${f.coord(stop.lat)}  ${f.coord(stop.lon)}`,
            gap(stop.spansDataGap),
          ]),
        },
        totals: [
          [t.stops, f.number(stops.length, 0)],
          [t.duration, duration(sum(stops.map((x) => x.stop.durationS)))],
        ],
        notes: sampledNotes(t, data.vehicles),
      };
    }
    case 'summary': {
      const v = data.vehicles;
      const distance = sum(v.map((x) => x.report.distanceM));
      const moving = sum(v.map((x) => x.report.drivingS + x.report.idleS));
      return {
        csv: {
          header: [
            t.vehicle,
            `${t.distance} (km)`,
            `${t.driving} (s)`,
            `${t.idle} (s)`,
            `${t.stopped} (s)`,
            `${t.maxSpeed} (km/h)`,
            `${t.avgSpeed} (km/h)`,
            t.trips,
            t.stops,
            t.fixes,
          ],
          rows: v.map(({ vehicleName, report: r }) => [
            vehicleName,
            km(r.distanceM),
            whole(r.drivingS),
            whole(r.idleS),
            whole(r.stoppedS),
            fixed(r.maxSpeedKmh, 1),
            fixed(r.avgSpeedKmh, 1),
            r.trips,
            r.stops,
            r.fixes,
          ]),
        },
        pdf: {
          columns: [
            { title: t.vehicle, width: 18 },
            { title: t.distance, width: 11, align: 'right' },
            { title: t.driving, width: 10, align: 'right' },
            { title: t.idle, width: 10, align: 'right' },
            { title: t.stopped, width: 10, align: 'right' },
            { title: t.maxSpeed, width: 10, align: 'right' },
            { title: t.avgSpeed, width: 10, align: 'right' },
            { title: t.trips, width: 9, align: 'right' },
            { title: t.stops, width: 9, align: 'right' },
          ],
          rows: v.map(({ vehicleName, report: r }) => [
            vehicleName,
            f.km(r.distanceM),
            duration(r.drivingS),
            duration(r.idleS),
            duration(r.stoppedS),
            f.speed(r.maxSpeedKmh),
            f.speed(r.avgSpeedKmh),
            f.number(r.trips, 0),
            f.number(r.stops, 0),
          ]),
        },
        totals: [
          [t.vehicles, f.number(v.length, 0)],
          [t.distance, f.km(distance)],
          [t.driving, duration(sum(v.map((x) => x.report.drivingS)))],
          [t.idle, duration(sum(v.map((x) => x.report.idleS)))],
          [t.stopped, duration(sum(v.map((x) => x.report.stoppedS)))],
          [t.maxSpeed, f.speed(Math.max(0, ...v.map((x) => x.report.maxSpeedKmh)))],
          // Over all trip time, like each vehicle's own average.
          [t.avgSpeed, f.speed(moving > 0 ? distance / 1000 / (moving / 3600) : 0)],
          [t.trips, f.number(sum(v.map((x) => x.report.trips)), 0)],
          [t.stops, f.number(sum(v.map((x) => x.report.stops)), 0)],
        ],
        notes: sampledNotes(t, v),
      };
    }
    case 'events': {
      const events = data.events;
      const byType = new Map<string, number>();
      const places = events.some((e) => e.place !== undefined);
      for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      return {
        csv: {
          header: [
            t.time,
            t.vehicle,
            t.type,
            t.geofence,
            `${t.speed} (km/h)`,
            `${t.limit} (km/h)`,
            t.lat,
            t.lon,
            t.place,
          ],
          rows: events.map((e) => [
            f.isoLocal(e.ts),
            e.vehicleName ?? '',
            t.eventType[e.type],
            e.geofenceName ?? '',
            numberAttribute(e, 'speedKmh'),
            numberAttribute(e, 'limitKmh'),
            e.lat === null ? null : fixed(e.lat, 6),
            e.lon === null ? null : fixed(e.lon, 6),
            e.place ?? '',
          ]),
        },
        pdf: {
          columns: [
            { title: t.time, width: 16 },
            { title: t.vehicle, width: 16 },
            { title: t.type, width: 19 },
            { title: t.geofence, width: 16 },
            { title: t.speed, width: 13, align: 'right' },
            { title: places ? t.place : t.position, width: 20 },
          ],
          rows: events.map((e) => {
            const speed = numberAttribute(e, 'speedKmh');
            const limit = numberAttribute(e, 'limitKmh');
            return [
              f.dateTime(e.ts),
              e.vehicleName ?? '',
              t.eventType[e.type],
              e.geofenceName ?? '',
              speed === null ? '' : limit === null ? f.speed(speed) : `${f.number(speed, 0)} / ${f.speed(limit)}`,
              e.place ?? (e.lat === null || e.lon === null ? '' : `${f.coord(e.lat)}  ${f.coord(e.lon)}`),
            ];
          }),
        },
        totals: [
          [t.count, f.number(events.length, 0)],
          ...[...byType].map(([type, n]): [string, string] => [
            t.eventType[type as EventDetail['type']],
            f.number(n, 0),
          ]),
        ],
        notes: data.truncatedAt === undefined ? [] : [t.truncated(data.truncatedAt)],
      };
    }
    case 'maintenance': {
      const rows = data.maintenance.flatMap((v) => v.rules.map((rule) => ({ v, rule })));
      const status = (r: { due: boolean; overdue: boolean }) => (r.overdue ? 'overdue' : r.due ? 'due' : 'ok');
      const hours = (h: number) => `${f.number(h, 1)} h`;
      return {
        csv: {
          header: [
            t.vehicle,
            t.rule,
            `${t.odometer} (km)`,
            `${t.engineHours} (h)`,
            t.lastService,
            `${t.lastServiceKm} (km)`,
            `${t.lastServiceHours} (h)`,
            `${t.nextKm} (km)`,
            `${t.nextHours} (h)`,
            t.nextDate,
            t.status,
          ],
          rows: rows.map(({ v, rule }) => [
            v.vehicleName,
            rule.ruleName,
            v.odometerKm === null ? null : fixed(v.odometerKm, 1),
            v.engineHours === null ? null : fixed(v.engineHours, 1),
            rule.lastService ? f.isoLocal(rule.lastService.doneAt) : '',
            rule.lastService?.odometerKm == null ? null : fixed(rule.lastService.odometerKm, 1),
            rule.lastService?.engineHours == null ? null : fixed(rule.lastService.engineHours, 1),
            rule.nextKm === null ? null : fixed(rule.nextKm, 1),
            rule.nextEngineHours === null ? null : fixed(rule.nextEngineHours, 1),
            rule.nextAt === null ? '' : f.isoLocal(rule.nextAt),
            t.maintenanceStatus[status(rule)],
          ]),
        },
        pdf: {
          columns: [
            { title: t.vehicle, width: 15 },
            { title: t.rule, width: 17 },
            { title: t.odometer, width: 12, align: 'right' },
            { title: t.engineHours, width: 10, align: 'right' },
            { title: t.lastService, width: 14 },
            { title: t.nextDue, width: 20 },
            { title: t.status, width: 12 },
          ],
          rows: rows.map(({ v, rule }) => [
            v.vehicleName,
            rule.ruleName,
            v.odometerKm === null ? '' : `${f.number(v.odometerKm, 0)} km`,
            v.engineHours === null ? '' : hours(v.engineHours),
            rule.lastService ? f.dateTime(rule.lastService.doneAt) : '',
            [
              rule.nextKm === null ? null : `${f.number(rule.nextKm, 0)} km`,
              rule.nextEngineHours === null ? null : hours(rule.nextEngineHours),
              rule.nextAt === null ? null : f.dateTime(rule.nextAt),
            ]
              .filter((x) => x !== null)
              .join(' · '),
            t.maintenanceStatus[status(rule)],
          ]),
        },
        totals: [
          [t.vehicles, f.number(data.maintenance.length, 0)],
          [t.maintenanceStatus.overdue, f.number(rows.filter(({ rule }) => rule.overdue).length, 0)],
          [t.maintenanceStatus.due, f.number(rows.filter(({ rule }) => rule.due && !rule.overdue).length, 0)],
        ],
        notes: data.maintenance.length === 0 ? [t.noMaintenance] : [],
      };
    }
  }
}

function numberAttribute(e: EventDetail, key: string): number | null {
  const value = e.attributes[key];
  return typeof value === 'number' && Number.isFinite(value) ? fixed(value, 1) : null;
}
