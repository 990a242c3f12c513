import {
  LIVE_ENDPOINTS as E,
  LIVE_EVENT,
  SHARE_LINKS_ENDPOINTS,
  type Endpoint,
  type LiveMessage,
} from '@fleet/contracts';
import type { Pool } from '@fleet/db';
import type { Redis } from '@fleet/runtime';
import { Router, type RequestHandler } from 'express';
import type { ApiConfig } from '../config';
import { EndpointRouter, STREAMED, type Authenticators } from '../http/serve';
import { LiveScope } from '../groups/live-scope';
import { resumePoint, type LiveHub } from '../live/hub';
import { ShareLinks } from '../live/share-links';
import { SseStream } from '../live/sse';
import { shareLinkRoutes, SharedLimiter } from './share-links';

/** The live streams: what LIVE_PORT serves (with the probes and /metrics), and nothing else. */
export const LIVE_STREAM_ENDPOINTS: readonly Endpoint[] = [E.liveStream, SHARE_LINKS_ENDPOINTS.sharedLiveStream];

/** `/api/v1/shared/:token/live` → a pattern matching one path segment per parameter. */
const pathPattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);

/**
 * On the live port: anything but a live stream (as declared: its method and path) goes on to the 404
 * handler, so the port answers no other route even though the share-link router it mounts has more.
 */
export function liveStreamsOnly(endpoints: readonly Endpoint[] = LIVE_STREAM_ENDPOINTS): RequestHandler {
  const allowed = endpoints.map((e) => ({ method: e.method.toUpperCase(), pattern: pathPattern(e.path) }));
  return (req, _res, next) => {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const path = req.originalUrl.split('?')[0];
    if (allowed.some((a) => a.method === method && a.pattern.test(path))) return next();
    // Skip the rest of the router this is mounted on: on to the app's 404.
    next('router');
  };
}

/** Longest timer Node.js keeps (about 24.8 days); a later expiry is beyond any access token anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The live stream of the caller's organization, and share links (whose public side is live too). */
export function liveRoutes(app: {
  liveHub: LiveHub;
  pool: Pool;
  redis: Redis;
  config: Pick<ApiConfig, 'live'>;
  auth: Authenticators;
}): Router {
  const hub = app.liveHub;
  const live = app.config.live;

  // The caller comes from the `user` authenticator, which runs before the query is even read (an
  // anonymous caller learns nothing, not even what is wrong with its query) and takes the token from
  // the header, `?access_token=` or the web's cookie, as the declaration's `accessTokenIn` says.
  const stream = new EndpointRouter('/api/v1', app.auth).serve(E.liveStream, async ({ query }, ctx) => {
    const { req, res, caller, scope } = ctx;
    const lastEventId = resumePoint(req.get('last-event-id'), query.lastEventId);
    const only = query.vehicleIds?.length ? new Set(query.vehicleIds) : undefined;
    const sse = new SseStream(req, res, {
      heartbeatMs: live.heartbeatMs,
      retryMs: live.retryMs,
      coalesceMs: live.coalesceMs,
    });
    const owner = { user: caller.sub, org: caller.org, sv: caller.sv };
    hub.admit(sse, 'user', req.ip ?? 'unknown', owner);
    await hub.claim(sse, owner);
    // The stream lives no longer than the credential that opened it: the client reconnects with a
    // fresh token (and its Last-Event-ID, so nothing is lost).
    const expiry = setTimeout(
      () =>
        sse.end({
          event: LIVE_EVENT.expired,
          data: { reason: 'access token expired; reconnect with a fresh one' },
        }),
      Math.max(0, Math.min(caller.exp * 1000 - Date.now(), MAX_TIMER_MS)),
    );
    sse.onClose(() => clearTimeout(expiry));
    // A user limited to vehicle groups gets their vehicles' messages only. Admins are never limited;
    // anyone else's groups may change while the stream is open: it then ends and the client reopens it.
    let visible: LiveScope | undefined;
    if (caller.role !== 'admin') {
      const opened = await LiveScope.open(app.pool, caller, scope, () =>
        sse.end({ event: LIVE_EVENT.expired, data: { reason: 'your vehicle groups changed; reconnect' } }),
      );
      visible = opened;
      sse.onClose(() => opened.stop());
      hub.watchUser(caller.sub, sse, () => void opened.refresh());
    }
    const limited = visible?.limited ? visible : undefined;
    await hub.feed(sse, {
      org: caller.org,
      lastEventId,
      // Without a vehicle filter, every message as published: served from the organization's shared batches.
      select:
        only || limited
          ? (m: LiveMessage) =>
              (!only || only.has(m.data.vehicleId)) && (!limited || limited.allows(m.data.vehicleId))
                ? { event: m.type, data: m.data }
                : undefined
          : undefined,
    });
    return STREAMED;
  });

  const router = Router();
  router.use(stream.router);
  router.use(
    shareLinkRoutes({
      hub,
      shareLinks: new ShareLinks(app.pool),
      limiter: new SharedLimiter(app.redis, live.sharedRequestsPerMinute),
      live,
      auth: app.auth,
    }),
  );
  return router;
}
