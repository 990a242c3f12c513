import { LIVE_EVENT, SHARE_LINKS_ENDPOINTS as E, type SharedVehicle } from '@fleet/contracts';
import type { Redis } from '@fleet/runtime';
import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ApiConfig } from '../config';
import { rateLimited } from '../errors';
import { EndpointRouter, STREAMED, type Authenticators } from '../http/serve';
import { resumePoint, type LiveHub } from '../live/hub';
import { sharedPosition, type ShareLinks } from '../live/share-links';
import { SseStream } from '../live/sse';

/**
 * Requests per client IP to the public share-link routes, counted in Redis so the limit holds across
 * replicas (each replica counts in memory while Redis is away). Tokens are 256-bit, so this is about
 * load, not guessing.
 */
export class SharedLimiter {
  private readonly perIp: RateLimiterRedis;

  constructor(redis: Redis, requestsPerMinute: number) {
    const keyPrefix = 'rl:shared-ip';
    this.perIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points: requestsPerMinute,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: requestsPerMinute, duration: 60 }),
    });
  }

  readonly middleware: RequestHandler = async (req, _res, next) => {
    try {
      await this.perIp.consume(req.ip ?? 'unknown');
      next();
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) return next(err);
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      next(rateLimited(`too many requests; retry in ${seconds} s`, seconds));
    }
  };
}

export function shareLinkRoutes(deps: {
  hub: LiveHub;
  shareLinks: ShareLinks;
  limiter: SharedLimiter;
  live: ApiConfig['live'];
  auth: Authenticators;
}) {
  const { hub, shareLinks, live } = deps;
  // The public routes (security `none`: whoever holds the token, no account) are gated by the
  // per-address limit alone, run first like an authenticator.
  return (
    new EndpointRouter('/api/v1', { ...deps.auth, none: () => [deps.limiter.middleware] })
      .serve(E.createShareLink, async ({ params, body }, { caller, scope, res }) => {
        const created = await shareLinks.create(scope, caller.sub, params.id, body);
        res.setHeader('Cache-Control', 'no-store');
        return created;
      })
      .serve(E.listShareLinks, async ({ params }, { scope }) => ({
        items: await shareLinks.list(scope, params.id),
      }))
      .serve(E.deleteShareLink, async ({ params }, { scope }) => shareLinks.revoke(scope, params.id))

      // Only the vehicle's name and where it is.
      .serve(E.getSharedVehicle, async ({ params }, { res }) => {
        const link = await shareLinks.resolve(params.token);
        const body: SharedVehicle = {
          vehicle: { name: link.vehicleName },
          position: await shareLinks.latest(link.vehicleId),
          expiresAt: link.expiresAt.toISOString(),
        };
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Referrer-Policy', 'no-referrer');
        return body;
      })

      .serve(E.sharedLiveStream, async ({ params, query }, { req, res }) => {
        const link = await shareLinks.resolve(params.token);
        const lastEventId = resumePoint(req.get('last-event-id'), query.lastEventId);
        const stream = new SseStream(req, res, {
          heartbeatMs: live.heartbeatMs,
          retryMs: live.retryMs,
          coalesceMs: live.coalesceMs,
        });
        hub.admit(stream, 'shared', req.ip ?? 'unknown');
        const gone = (reason: 'expired' | 'revoked') => stream.end({ event: LIVE_EVENT.end, data: { reason } });
        // Revocation (or the vehicle's deletion) is noticed at the next check; expiry to the second.
        const check = setInterval(() => {
          shareLinks.isValid(link.id).then(
            (valid) => valid || gone(link.expiresAt.getTime() <= Date.now() ? 'expired' : 'revoked'),
            () => undefined, // the database away: keep serving until it answers again
          );
        }, live.shareCheckMs);
        const untilExpiry = link.expiresAt.getTime() - Date.now();
        const expiry = untilExpiry < 2 ** 31 ? setTimeout(() => gone('expired'), untilExpiry) : undefined;
        stream.onClose(() => {
          clearInterval(check);
          clearTimeout(expiry);
        });
        await hub.feed(stream, {
          org: link.organizationId,
          lastEventId,
          select: (m) =>
            m.type === LIVE_EVENT.position && m.data.vehicleId === link.vehicleId
              ? { event: LIVE_EVENT.position, data: sharedPosition(m.data) }
              : undefined,
          // A fresh viewer sees where the vehicle is at once, without waiting for its next fix.
          beforeLive: async () => {
            if (lastEventId !== undefined) return;
            const position = await shareLinks.latest(link.vehicleId);
            if (position) stream.send(LIVE_EVENT.position, position);
          },
        });
        return STREAMED;
      }).router
  );
}
