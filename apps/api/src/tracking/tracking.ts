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
import { type Database, type Pool } from '@fleet/db';
import { VehicleStates } from '@fleet/live';
import type { Logger } from '@fleet/logging-json';
import type { Places } from '@fleet/places';
import { ReportReader, type Period } from '@fleet/reports';
import type { Redis } from '@fleet/runtime';
import type { Response } from 'express';
import { findVehicle, narrowToGroup, vehicleIdsInScope, type VehicleScope } from '../groups/scope';
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
 * The query side of tracking, scoped by organization and the caller's vehicle groups like every use
 * case of the API: another organization's vehicle, or one outside the caller's groups, is "not found".
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

  async latest(from: VehicleScope, q: LatestQuery): Promise<LatestPositions> {
    const scope = await narrowToGroup(this.deps.pool, from, q.groupId);
    // Limited: the visible vehicles read now (exact, whatever the cached names say).
    const only = scope.groupIds ? new Set(await vehicleIdsInScope(this.db, scope)) : undefined;
    return this.latestQuery.latest(scope.org, q, only);
  }

  async nearest(from: VehicleScope, q: NearestQuery): Promise<NearestList> {
    return nearestVehicles(this.deps.pool, await narrowToGroup(this.deps.pool, from, q.groupId), q);
  }

  /** A `groupId` filter applied to the caller's scope (see narrowToGroup). */
  narrow(scope: VehicleScope, groupId: string | undefined): Promise<VehicleScope> {
    return narrowToGroup(this.deps.pool, scope, groupId);
  }

  /** The scope's vehicles (among `ids` when given), in name order. */
  async vehiclesIn(scope: VehicleScope, ids?: readonly string[]): Promise<string[]> {
    const visible = await vehicleIdsInScope(this.db, scope);
    return ids ? visible.filter((id) => ids.includes(id)) : visible;
  }

  /** Streams the history into `res` (see streamHistory). */
  async exportHistory(scope: VehicleScope, vehicleId: string, q: HistoryQuery, res: Response): Promise<void> {
    const period = resolvePeriod(q);
    const vehicleName = await this.vehicleName(scope, vehicleId);
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

  async trips(scope: VehicleScope, vehicleId: string, q: ReportQuery): Promise<TripList> {
    const period = await this.checked(scope, vehicleId, q);
    return this.reports.trips(scope.org, vehicleId, period, detectionOptions(q));
  }

  async stops(scope: VehicleScope, vehicleId: string, q: ReportQuery): Promise<StopList> {
    const period = await this.checked(scope, vehicleId, q);
    return this.reports.stops(scope.org, vehicleId, period, detectionOptions(q));
  }

  async summary(scope: VehicleScope, vehicleId: string, q: ReportQuery): Promise<SummaryReport> {
    const period = await this.checked(scope, vehicleId, q);
    return this.reports.summary(vehicleId, period, detectionOptions(q));
  }

  /** The query's period, once the vehicle is known to be the organization's. */
  private async checked(scope: VehicleScope, vehicleId: string, q: ReportQuery): Promise<Period> {
    const period = resolvePeriod(q);
    await this.vehicleName(scope, vehicleId);
    return period;
  }

  /** The vehicle's name, through the one scoped lookup (404 outside the caller's scope). */
  private async vehicleName(scope: VehicleScope, id: string): Promise<string> {
    return (await findVehicle(this.db, scope, id)).name;
  }
}

/** The detection's thresholds of a report query. */
export const detectionOptions = ({ minStopDurationS, stopRadiusM, minTripDistanceM }: ReportQuery) => ({
  minStopDurationS,
  stopRadiusM,
  minTripDistanceM,
});
