import type { TokenService } from '@fleet/auth';
import { Router } from 'express';
import type { Pool } from 'pg';
import { Events } from '../events/events';
import { Geofences } from '../geofences/geofences';
import { Organizations } from '../organization/organization';
import { Webhooks } from '../webhooks/webhooks';
import { eventRoutes } from './events';
import { geofenceRoutes } from './geofences';
import { organizationRoutes } from './organization';
import { webhookRoutes } from './webhooks';

/** Geofences, events, webhooks and the organization's settings (retention), mounted on /api/v1. */
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
  router.use(organizationRoutes({ organizations: new Organizations(pool), tokens }));
  return router;
}
