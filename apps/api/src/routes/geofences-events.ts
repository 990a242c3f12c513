import type { TokenService } from '@fleet/auth';
import { Router } from 'express';
import type { Pool } from 'pg';
import { Events } from '../events/events';
import { Geofences } from '../geofences/geofences';
import { Webhooks } from '../webhooks/webhooks';
import { eventRoutes } from './events';
import { geofenceRoutes } from './geofences';
import { webhookRoutes } from './webhooks';

/** Geofences, events and webhooks, mounted on /api/v1. */
export function geofenceEventRoutes(deps: {
  pool: Pool;
  tokens: TokenService;
  webhooks: { allowPrivateUrls: boolean };
}): Router {
  const { pool, tokens } = deps;
  const router = Router();
  router.use(geofenceRoutes({ geofences: new Geofences(pool), tokens }));
  router.use(eventRoutes({ events: new Events(pool), tokens }));
  router.use(webhookRoutes({ webhooks: new Webhooks(pool, deps.webhooks), tokens }));
  return router;
}
