import type { TokenService } from '@fleet/auth';
import { HistoryQuery, LatestQuery, NearestQuery, ReportQuery } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller } from '../auth/middleware';
import { Tracking, type TrackingDeps } from '../tracking/tracking';

/** Positions queries and per-vehicle history and reports; every role of the organization may read them. */
export function trackingRoutes(deps: TrackingDeps & { tokens: TokenService }): Router {
  const router = Router();
  const auth = authenticate(deps.tokens);
  const tracking = new Tracking(deps);

  router.get('/positions/latest', auth, async (req, res) => {
    res.json(await tracking.latest(caller(res).org, LatestQuery.parse(req.query)));
  });
  router.get('/positions/nearest', auth, async (req, res) => {
    res.json(await tracking.nearest(caller(res).org, NearestQuery.parse(req.query)));
  });
  router.get('/vehicles/:id/history', auth, async (req, res) => {
    await tracking.exportHistory(caller(res).org, req.params['id'] as string, HistoryQuery.parse(req.query), res);
  });
  router.get('/vehicles/:id/trips', auth, async (req, res) => {
    res.json(await tracking.trips(caller(res).org, req.params['id'] as string, ReportQuery.parse(req.query)));
  });
  router.get('/vehicles/:id/stops', auth, async (req, res) => {
    res.json(await tracking.stops(caller(res).org, req.params['id'] as string, ReportQuery.parse(req.query)));
  });
  router.get('/vehicles/:id/summary', auth, async (req, res) => {
    res.json(await tracking.summary(caller(res).org, req.params['id'] as string, ReportQuery.parse(req.query)));
  });
  return router;
}
