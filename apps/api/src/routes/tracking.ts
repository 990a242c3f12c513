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
    .serve(E.latestPositions, async ({ query }, { caller }) => tracking.latest(caller.org, query))
    .serve(E.nearestVehicles, async ({ query }, { caller }) => tracking.nearest(caller.org, query))
    .serve(E.vehicleHistory, async ({ params, query }, { caller, res }) => {
      await tracking.exportHistory(caller.org, params.id, query, res);
      return STREAMED;
    })
    .serve(E.vehicleTrips, async ({ params, query }, { caller }) => tracking.trips(caller.org, params.id, query))
    .serve(E.vehicleStops, async ({ params, query }, { caller }) => tracking.stops(caller.org, params.id, query))
    .serve(E.vehicleSummary, async ({ params, query }, { caller }) =>
      tracking.summary(caller.org, params.id, query),
    ).router;
  return router.use(reportRoutes({ reportFiles: new ReportFiles(tracking), auth: deps.auth }));
}
