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
import { detectPeriod, stopList, summaryReport, tripList, type Detection } from './reports';

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

  constructor(private readonly deps: TrackingDeps) {
    const states = new VehicleStates(deps.pool);
    this.db = states.db;
    this.latestQuery = new LatestPositionsQuery({ states, redis: deps.redis, logger: deps.logger });
    this.heavy = new Gate(deps.maxHeavyRequests, 'history exports and reports');
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
    const list = tripList(await this.detect(org, vehicleId, q));
    // One batch for every start and end (outside the heavy gate: it holds no connection meanwhile).
    const places = await this.deps.places.describe(
      org,
      list.items.flatMap((t) => [t.start, t.end]),
    );
    list.items.forEach((t, i) => {
      t.start.place = places[2 * i];
      t.end.place = places[2 * i + 1];
    });
    return list;
  }

  async stops(org: string, vehicleId: string, q: ReportQuery): Promise<StopList> {
    const list = stopList(await this.detect(org, vehicleId, q));
    const places = await this.deps.places.describe(org, list.items);
    list.items.forEach((s, i) => (s.place = places[i]));
    return list;
  }

  async summary(org: string, vehicleId: string, q: ReportQuery): Promise<SummaryReport> {
    return summaryReport(await this.detect(org, vehicleId, q));
  }

  /** Runs a read that holds a connection a while (a report file's chart series) under the same limit. */
  runHeavy<T>(read: (pool: Pool) => Promise<T>): Promise<T> {
    return this.heavy.run(() => read(this.deps.pool));
  }

  private async detect(org: string, vehicleId: string, q: ReportQuery): Promise<Detection> {
    const period = resolvePeriod(q);
    await this.vehicleName(org, vehicleId);
    const { minStopDurationS, stopRadiusM, minTripDistanceM } = q;
    return this.heavy.run(() =>
      detectPeriod(this.deps.pool, vehicleId, period, { minStopDurationS, stopRadiusM, minTripDistanceM }),
    );
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
