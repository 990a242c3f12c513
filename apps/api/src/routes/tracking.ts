import { TRACKING_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, STREAMED, type Authenticators } from '../http/serve';
import { ReportFiles } from '../reports/report-files';
import { Tracking, type TrackingDeps } from '../tracking/tracking';
import { reportRoutes } from './reports';

/**
 * Positions queries and per-vehicle history and reports, and the report files (one Tracking, so they
 * share its limit on heavy requests); every role of the organization may read them.
 */
export function trackingRoutes(deps: TrackingDeps & { auth: Authenticators }) {
  const tracking = new Tracking(deps);
  const router = new EndpointRouter('/api/v1', deps.auth)
    .serve(E.latestPositions, async ({ query }, { scope }) => tracking.latest(scope, query))
    .serve(E.nearestVehicles, async ({ query }, { scope }) => tracking.nearest(scope, query))
    .serve(E.vehicleHistory, async ({ params, query }, { scope, res }) => {
      await tracking.exportHistory(scope, params.id, query, res);
      return STREAMED;
    })
    .serve(E.vehicleTrips, async ({ params, query }, { scope }) => tracking.trips(scope, params.id, query))
    .serve(E.vehicleStops, async ({ params, query }, { scope }) => tracking.stops(scope, params.id, query))
    .serve(E.vehicleSummary, async ({ params, query }, { scope }) => tracking.summary(scope, params.id, query)).router;
  return router.use(reportRoutes({ reportFiles: new ReportFiles(tracking), auth: deps.auth }));
}
