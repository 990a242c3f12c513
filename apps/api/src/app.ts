import type { Pool } from '@fleet/db';
import { accessLogMiddleware, requestContextMiddleware, type Logger } from '@fleet/logging-json';
import type { Metrics } from '@fleet/metrics';
import { forgetLatest } from '@fleet/live';
import { probeRoutes, storeChecks, type Redis } from '@fleet/runtime';
import type { RequestListener } from 'node:http';
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { ApiConfig } from './config';
import { errorHandler, notFoundHandler, unavailable } from './errors';
import { inputGuard } from './input-guard';
import type { DeviceDirectory } from '@fleet/ingest';
import { FieldDrops } from '@fleet/ingest';
import type { IngestPipeline } from '@fleet/ingest';
import { ingestFastPath } from './ingest/ingest-fast-path';
import { debugRoutes } from './routes/debug';
import { organizationRoutes } from './routes/organization';
import { platformRoutes } from './routes/platform';
import { mobileRoutes } from './routes/mobile';
import { PushTokens } from './mobile/push-tokens';
import { TrackerSettingsService } from './mobile/tracker-settings';
import { Organizations, Platform } from './organization/organization';
import { httpIngest, ingestRoutes } from './routes/ingest';
import { authRoutes } from './routes/auth';
import { vehicleRoutes } from './routes/vehicles';
import { commandRoutes } from './routes/commands';
import { DeviceCommands } from './commands/commands';
import { liveRoutes, liveStreamsOnly } from './routes/live';
import type { LiveHub } from './live/hub';
import type { Places } from '@fleet/places';
import { trackingRoutes } from './routes/tracking';
import { geofenceRoutes } from './routes/geofences';
import { eventRoutes } from './routes/events';
import { webhookRoutes } from './routes/webhooks';
import { notificationRoutes } from './routes/notifications';
import { NotificationRules } from './notifications/notification-rules';
import { reportScheduleRoutes } from './routes/report-schedules';
import { ReportSchedules } from './report-schedules/report-schedules';
import { Geofences } from './geofences/geofences';
import { Events } from './events/events';
import { Webhooks } from './webhooks/webhooks';
import { userRoutes } from './routes/users';
import { Users } from './users/users';
import { docsRoutes } from './openapi/docs-routes';
import { Vehicles } from './vehicles/vehicles';
import { Drivers } from './drivers/drivers';
import { driverRoutes } from './drivers/routes';
import { Maintenance } from './maintenance/maintenance';
import { maintenanceRoutes } from './maintenance/routes';
import type { LoginLimiter } from './auth/rate-limit';
import type { SessionVersions } from './auth/revocation';
import type { Sessions } from './auth/sessions';
import type { TokenService } from '@fleet/auth';
import { authenticate, platformAdmin } from './auth/middleware';
import { readScope } from './groups/scope';
import { Groups } from './groups/groups';
import { groupRoutes } from './routes/groups';
import type { Authenticators } from './http/serve';

export interface AppDeps {
  config: ApiConfig;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  redis: Redis;
  isDraining: () => boolean;
  version: string;
  pipeline: IngestPipeline;
  devices: DeviceDirectory;
  tokens: TokenService;
  sessions: Sessions;
  limiter: LoginLimiter;
  /** Users' session versions: immediate revocation of their access tokens and live streams. */
  versions: SessionVersions;
  /** Live streams of this process (one Redis subscriber connection; closed on drain). */
  liveHub: LiveHub;
  /** Places of stops, trips and events (online geocoder when configured; stopped on drain). */
  places: Places;
}

export function createApp(deps: AppDeps): express.Express {
  const { config } = deps;
  const app = baseApp(deps);
  app.use(docsRoutes());

  const auth = authenticators(deps);
  const v1 = express.Router();
  v1.use(express.json({ limit: config.http.bodyLimit, type: ['application/json', 'application/*+json'] }));
  v1.use(inputGuard({ mountPath: '/api/v1' }));
  v1.use(ingestRoutes(ingestDeps(deps)));
  v1.use(
    authRoutes({
      sessions: deps.sessions,
      limiter: deps.limiter,
      secureCookies: config.env === 'staging' || config.env === 'production',
      refreshTtlDays: config.jwt.refreshTtlDays,
      auth,
    }),
  );
  v1.use(userRoutes({ users: new Users(deps.pool, deps.versions), auth }));
  const vehicles = new Vehicles(
    deps.pool,
    () => deps.devices.invalidate(),
    (org, id) => forgetLatest(deps.redis, org, id),
    { redis: deps.redis },
  );
  v1.use(vehicleRoutes({ vehicles, auth }));
  v1.use(groupRoutes({ groups: new Groups(deps.pool), auth }));
  v1.use(driverRoutes({ drivers: new Drivers(deps.pool, deps.redis), auth }));
  v1.use(maintenanceRoutes({ maintenance: new Maintenance(deps.pool), vehicles, auth }));
  v1.use(
    commandRoutes({
      commands: new DeviceCommands(deps.pool, deps.redis, { ttlMs: config.commands.ttlMs, logger: deps.logger }),
      auth,
    }),
  );
  v1.use(geofenceRoutes({ geofences: new Geofences(deps.pool), auth }));
  v1.use(eventRoutes({ events: new Events(deps.pool, deps.places), auth }));
  v1.use(webhookRoutes({ webhooks: new Webhooks(deps.pool, config.webhooks), auth }));
  v1.use(notificationRoutes({ rules: new NotificationRules(deps.pool), auth }));
  v1.use(reportScheduleRoutes({ schedules: new ReportSchedules(deps.pool), auth }));
  v1.use(trackingRoutes({ ...deps, auth, maxHeavyRequests: Math.max(2, Math.floor(config.db.poolMax / 2)) }));
  v1.use(liveRoutes({ ...deps, auth }));
  v1.use(
    organizationRoutes({
      organizations: new Organizations(deps.pool, () => deps.devices.invalidate()),
      auth,
    }),
  );
  v1.use(
    mobileRoutes({
      trackerSettings: new TrackerSettingsService(deps.pool, config.tracker.offlineMinutes),
      pushTokens: new PushTokens(deps.pool),
      devices: deps.devices,
      auth,
    }),
  );
  v1.use(platformRoutes({ platform: new Platform(deps.pool), auth }));
  if (config.env === 'test' || config.env === 'development') v1.use('/_debug', debugRoutes());
  app.use('/api/v1', v1);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * The main port's listener: the ingest fast path (ingest/ingest-fast-path.ts: the device-authenticated
 * JSON ingest endpoints on bare node:http, answered as the app answers them) in front of `app`, which
 * serves every other request. `fastPath: false` leaves everything to the app (the spec that compares
 * the two).
 */
export function createMainListener(
  deps: AppDeps,
  options: { app?: express.Express; fastPath?: boolean } = {},
): RequestListener {
  const app = options.app ?? createApp(deps);
  if (options.fastPath === false) return app;
  const fast = ingestFastPath({
    ingest: httpIngest({ ...deps, fieldDrops: new FieldDrops(deps.metrics.registry) }),
    logger: deps.logger,
    metrics: deps.metrics,
    isDraining: deps.isDraining,
    bodyLimit: deps.config.http.bodyLimit,
    app,
    securityHeaders: securityHeaders(),
    cors: corsPolicy(deps.config),
    corsOrigins: deps.config.http.corsOrigins,
  });
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}

/** What the live port's processes need: no ingest pipeline, no other route's services. */
export type LiveAppDeps = Pick<
  AppDeps,
  'config' | 'logger' | 'metrics' | 'pool' | 'redis' | 'isDraining' | 'version' | 'tokens' | 'liveHub'
>;

/**
 * The app of LIVE_PORT: the organization's and the share links' live streams (the same declared
 * endpoints, authentication, limits and errors as on the main port), the probes and /metrics; any
 * other path answers 404.
 */
export function createLiveApp(deps: LiveAppDeps): express.Express {
  const app = baseApp(deps);
  const v1 = express.Router();
  v1.use(inputGuard({ mountPath: '/api/v1' }));
  v1.use(liveStreamsOnly());
  v1.use(liveRoutes({ ...deps, auth: authenticators(deps) }));
  app.use('/api/v1', v1);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

/** Common middleware, security headers, CORS, the probes and /metrics: the same on both ports. */
function baseApp(deps: LiveAppDeps): express.Express {
  const { config, metrics } = deps;
  const app = express();
  commonMiddleware(app, deps);
  app.use(securityHeaders());
  app.use(corsPolicy(config));
  app.use(
    probeRoutes({
      service: 'api',
      version: deps.version,
      isDraining: deps.isDraining,
      checks: storeChecks(deps),
    }),
  );
  app.get('/metrics', metrics.handler);
  return app;
}

/** The security headers of every answer past the drain gate (the ingest fast path sets the same). */
const securityHeaders = (): RequestHandler => helmet();

/** CORS: the configured origins, with credentials (the ingest fast path answers the same). */
function corsPolicy(config: ApiConfig): RequestHandler {
  const allowed = new Set(config.http.corsOrigins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    maxAge: 600,
  });
}

/** The credential check of each security kind that declared endpoints name (see http/serve.ts). */
const authenticators = (deps: Pick<AppDeps, 'tokens' | 'config' | 'pool'>): Authenticators => ({
  user: (endpoint) => [authenticate(deps.tokens, endpoint.accessTokenIn, (claims) => readScope(deps.pool, claims))],
  platform: () => [platformAdmin(deps.config.platform.adminToken)],
});

const ingestDeps = (deps: AppDeps) => ({
  pipeline: deps.pipeline,
  devices: deps.devices,
  pool: deps.pool,
  bodyLimit: deps.config.http.bodyLimit,
  gpxMaxBytes: deps.config.ingest.gpxMaxBytes,
  tokens: deps.tokens,
  fieldDrops: new FieldDrops(deps.metrics.registry),
});

/** Request id, metrics, access log and the drain gate: the same on every listener. */
function commonMiddleware(app: express.Express, deps: LiveAppDeps) {
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.http.trustProxy);
  app.set('etag', false);
  app.use(requestContextMiddleware());
  app.use(deps.metrics.httpMiddleware);
  app.use(accessLogMiddleware(deps.logger, { skip: (req) => req.path === '/metrics' || req.path === '/health' }));
  // While draining, requests arriving on kept-alive connections are turned away so the gateway retries
  // them elsewhere; probes still answer so the orchestrator sees the drain, and /metrics so Prometheus
  // does not count a draining instance as down.
  app.use((req, res, next) => {
    if (!deps.isDraining() || req.path === '/ready' || req.path === '/health' || req.path === '/metrics') return next();
    res.setHeader('Connection', 'close');
    next(unavailable('server is shutting down, retry', 1));
  });
}
