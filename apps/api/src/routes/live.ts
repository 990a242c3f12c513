import { InvalidTokenError, type TokenService, type VerifiedClaims } from '@fleet/auth';
import { LiveStreamQuery, type LiveMessage } from '@fleet/contracts';
import type { Pool } from '@fleet/db';
import type { Redis } from '@fleet/runtime';
import { Router, type Request } from 'express';
import type { ApiConfig } from '../config';
import { bearerToken } from '../auth/credentials';
import { AppError } from '../errors';
import { resumePoint, type LiveHub } from '../live/hub';
import { ShareLinks } from '../live/share-links';
import { SseStream } from '../live/sse';
import { tokenProblem } from '../auth/middleware';
import { ACCESS_COOKIE, cookieValue } from './auth';
import { shareLinkRoutes, SharedLimiter } from './share-links';

/** The live stream of the caller's organization, and share links (whose public side is live too). */
export function liveRoutes(app: {
  liveHub: LiveHub;
  tokens: TokenService;
  pool: Pool;
  redis: Redis;
  config: Pick<ApiConfig, 'live'>;
}): Router {
  const deps = {
    hub: app.liveHub,
    tokens: app.tokens,
    shareLinks: new ShareLinks(app.pool),
    limiter: new SharedLimiter(app.redis, app.config.live.sharedRequestsPerMinute),
    live: app.config.live,
  };
  const router = Router();

  router.get('/live', async (req, res) => {
    // Who first: an anonymous caller learns nothing, not even what is wrong with its query.
    const queryToken = req.query['access_token'];
    const claims = await liveCaller(req, deps.tokens, typeof queryToken === 'string' ? queryToken : undefined);
    const query = LiveStreamQuery.parse(req.query);
    const lastEventId = resumePoint(req.get('last-event-id'), query.lastEventId);
    const only = query.vehicleIds?.length ? new Set(query.vehicleIds) : undefined;
    const stream = new SseStream(req, res, { heartbeatMs: deps.live.heartbeatMs, retryMs: deps.live.retryMs });
    const owner = { user: claims.sub, org: claims.org, sv: claims.sv };
    deps.hub.admit(stream, 'user', req.ip ?? 'unknown', owner);
    await deps.hub.claim(stream, owner);
    // The stream lives no longer than the credential that opened it: the client reconnects with a
    // fresh token (and its Last-Event-ID, so nothing is lost).
    const expiry = setTimeout(
      () => stream.end({ event: 'expired', data: { reason: 'access token expired; reconnect with a fresh one' } }),
      Math.max(0, Math.min(claims.exp * 1000 - Date.now(), 2 ** 31 - 1)),
    );
    stream.onClose(() => clearTimeout(expiry));
    await deps.hub.feed(stream, {
      org: claims.org,
      lastEventId,
      select: (m: LiveMessage) => (only && !only.has(m.data.vehicleId) ? undefined : { event: m.type, data: m.data }),
    });
  });

  router.use(shareLinkRoutes(deps));
  return router;
}

/**
 * The caller of a live stream: an access token from the Authorization header, the `access_token`
 * query parameter (EventSource cannot set headers; the access log never records query strings), or
 * the httpOnly access cookie set at sign-in. The cookie is accepted here only: this read-only GET is
 * harmless to forge (and SameSite=Strict), while every state-changing route still requires the header.
 */
async function liveCaller(req: Request, tokens: TokenService, queryToken: string | undefined): Promise<VerifiedClaims> {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="fleet"' };
  const header = req.get('authorization');
  const bearer = bearerToken(header);
  if (header !== undefined && bearer === undefined) {
    throw new AppError(401, 'unauthorized', 'Authorization must be "Bearer <access token>"', undefined, challenge);
  }
  const token = bearer ?? queryToken ?? cookieValue(req, ACCESS_COOKIE);
  if (!token) throw new AppError(401, 'unauthorized', 'an access token is required', undefined, challenge);
  try {
    return await tokens.verify(token);
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
    throw new AppError(401, 'unauthorized', tokenProblem(err), undefined, challenge);
  }
}
