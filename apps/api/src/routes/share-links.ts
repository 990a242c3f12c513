import type { TokenService } from '@fleet/auth';
import { ShareLinkInput, SharedStreamQuery, type SharedPosition, type SharedVehicle } from '@fleet/contracts';
import type { Redis } from '@fleet/runtime';
import { Router, type Request, type RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { authenticate, caller, requireRole } from '../auth/middleware';
import type { ApiConfig } from '../config';
import { AppError } from '../errors';
import { resumePoint, type LiveHub } from '../live/hub';
import type { ShareLinks } from '../live/share-links';
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
      next(
        new AppError(429, 'rate_limited', `too many requests; retry in ${seconds} s`, undefined, {
          'Retry-After': String(seconds),
        }),
      );
    }
  };
}

const sharedPosition = (p: SharedPosition): SharedPosition => ({
  ts: p.ts,
  lat: p.lat,
  lon: p.lon,
  speedKmh: p.speedKmh,
  heading: p.heading,
});

export function shareLinkRoutes(deps: {
  hub: LiveHub;
  tokens: TokenService;
  shareLinks: ShareLinks;
  limiter: SharedLimiter;
  live: ApiConfig['live'];
}): Router {
  const router = Router();
  const auth = authenticate(deps.tokens);
  const manage = requireRole('admin', 'operator');
  const id = (req: Request) => req.params['id'] as string;
  const token = (req: Request) => req.params['token'] as string;

  router.post('/vehicles/:id/share-links', auth, manage, async (req, res) => {
    const { org, sub } = caller(res);
    const created = await deps.shareLinks.create(org, sub, id(req), ShareLinkInput.parse(req.body ?? {}));
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(created);
  });
  router.get('/vehicles/:id/share-links', auth, async (req, res) => {
    res.json({ items: await deps.shareLinks.list(caller(res).org, id(req)) });
  });
  router.delete('/share-links/:id', auth, manage, async (req, res) => {
    await deps.shareLinks.revoke(caller(res).org, id(req));
    res.status(204).end();
  });

  // Public: whoever holds the token, no account. Only the vehicle's name and where it is.
  router.get('/shared/:token', deps.limiter.middleware, async (req, res) => {
    const link = await deps.shareLinks.resolve(token(req));
    const body: SharedVehicle = {
      vehicle: { name: link.vehicleName },
      position: await deps.shareLinks.latest(link.vehicleId),
      expiresAt: link.expiresAt.toISOString(),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.json(body);
  });

  router.get('/shared/:token/live', deps.limiter.middleware, async (req, res) => {
    const query = SharedStreamQuery.parse(req.query);
    const link = await deps.shareLinks.resolve(token(req));
    const lastEventId = resumePoint(req.get('last-event-id'), query.lastEventId);
    const stream = new SseStream(req, res, { heartbeatMs: deps.live.heartbeatMs, retryMs: deps.live.retryMs });
    deps.hub.admit(stream, 'shared', req.ip ?? 'unknown');
    const gone = (reason: 'expired' | 'revoked') => stream.end({ event: 'end', data: { reason } });
    // Revocation (or the vehicle's deletion) is noticed at the next check; expiry to the second.
    const check = setInterval(() => {
      deps.shareLinks.isValid(link.id).then(
        (valid) => valid || gone(link.expiresAt.getTime() <= Date.now() ? 'expired' : 'revoked'),
        () => undefined, // the database away: keep serving until it answers again
      );
    }, deps.live.shareCheckMs);
    const untilExpiry = link.expiresAt.getTime() - Date.now();
    const expiry = untilExpiry < 2 ** 31 ? setTimeout(() => gone('expired'), untilExpiry) : undefined;
    stream.onClose(() => {
      clearInterval(check);
      clearTimeout(expiry);
    });
    await deps.hub.feed(stream, {
      org: link.organizationId,
      lastEventId,
      select: (m) =>
        m.type === 'position' && m.data.vehicleId === link.vehicleId
          ? { event: 'position', data: sharedPosition(m.data) }
          : undefined,
      // A fresh viewer sees where the vehicle is at once, without waiting for its next fix.
      beforeLive: async () => {
        if (lastEventId !== undefined) return;
        const position = await deps.shareLinks.latest(link.vehicleId);
        if (position) stream.send('position', position);
      },
    });
  });

  return router;
}
