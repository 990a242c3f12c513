import type {
  HistoryQuery,
  LatestPositions,
  LatestQuery,
  NearestList,
  NearestQuery,
  ReportQuery,
  StopList,
  SummaryReport,
  TripList,
} from '@fleet/contracts';
import { schema, type Database, type Pool } from '@fleet/db';
import { VehicleStates } from '@fleet/live';
import type { Logger } from '@fleet/logging-json';
import type { Places } from '@fleet/places';
import { ReportReader, type Period } from '@fleet/reports';
import type { Redis } from '@fleet/runtime';
import { and, eq } from 'drizzle-orm';
import type { Response } from 'express';
import { notFound } from '../errors';
import { isUuid } from '../sql';
import { Gate } from './gate';
import { streamHistory } from './history';
import { LatestPositionsQuery } from './latest';
import { nearestVehicles } from './nearest';
import { resolvePeriod } from './period';

export interface TrackingDeps {
  pool: Pool;
  redis: Redis;
  logger: Logger;
  /** History exports and reports running at once in this process (each holds a connection). */
  maxHeavyRequests: number;
  /** Places of stops and of trips' ends. */
  places: Places;
}

/**
 * The query side of tracking, scoped by organization like every use case of the API: another
 * organization's vehicle is "not found".
 */
export class Tracking {
  private readonly db: Database;
  private readonly latestQuery: LatestPositionsQuery;
  private readonly heavy: Gate;
  /** Trips, stops and summary, detected under the heavy gate. */
  readonly reports: ReportReader;

  constructor(private readonly deps: TrackingDeps) {
    const states = new VehicleStates(deps.pool);
    this.db = states.db;
    this.latestQuery = new LatestPositionsQuery({ states, redis: deps.redis, logger: deps.logger });
    this.heavy = new Gate(deps.maxHeavyRequests, 'history exports and reports');
    this.reports = new ReportReader({ pool: deps.pool, places: deps.places, heavy: (read) => this.heavy.run(read) });
  }

  latest(org: string, q: LatestQuery): Promise<LatestPositions> {
    return this.latestQuery.latest(org, q);
  }

  nearest(org: string, q: NearestQuery): Promise<NearestList> {
    return nearestVehicles(this.deps.pool, org, q);
  }

  /** Streams the history into `res` (see streamHistory). */
  async exportHistory(org: string, vehicleId: string, q: HistoryQuery, res: Response): Promise<void> {
    const period = resolvePeriod(q);
    const vehicleName = await this.vehicleName(org, vehicleId);
    await this.heavy.run(() =>
      streamHistory(this.deps, res, {
        vehicleId,
        vehicleName,
        period,
        format: q.format,
        simplify: q.simplify,
        maxPoints: q.maxPoints,
      }),
    );
  }

  async trips(org: string, vehicleId: string, q: ReportQuery): Promise<TripList> {
    const period = await this.checked(org, vehicleId, q);
    return this.reports.trips(org, vehicleId, period, detectionOptions(q));
  }

  async stops(org: string, vehicleId: string, q: ReportQuery): Promise<StopList> {
    const period = await this.checked(org, vehicleId, q);
    return this.reports.stops(org, vehicleId, period, detectionOptions(q));
  }

  async summary(org: string, vehicleId: string, q: ReportQuery): Promise<SummaryReport> {
    const period = await this.checked(org, vehicleId, q);
    return this.reports.summary(vehicleId, period, detectionOptions(q));
  }

  /** The query's period, once the vehicle is known to be the organization's. */
  private async checked(org: string, vehicleId: string, q: ReportQuery): Promise<Period> {
    const period = resolvePeriod(q);
    await this.vehicleName(org, vehicleId);
    return period;
  }

  private async vehicleName(org: string, id: string): Promise<string> {
    if (!isUuid(id)) throw notFound('vehicle');
    const { vehicles } = schema;
    const [row] = await this.db
      .select({ name: vehicles.name })
      .from(vehicles)
      .where(and(eq(vehicles.id, id), eq(vehicles.organizationId, org)));
    if (!row) throw notFound('vehicle');
    return row.name;
  }
}

/** The detection's thresholds of a report query. */
export const detectionOptions = ({ minStopDurationS, stopRadiusM, minTripDistanceM }: ReportQuery) => ({
  minStopDurationS,
  stopRadiusM,
  minTripDistanceM,
});
