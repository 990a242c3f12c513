import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger';

/**
 * One line per finished request (successful ones at level `http`). The query string is left out on purpose: tracker protocols carry
 * their credential (the device identifier) there.
 */
export function accessLogMiddleware(logger: Logger, options: { skip?: (req: Request) => boolean } = {}) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (options.skip?.(req)) return next();
    const started = process.hrtime.bigint();
    // Read now: by 'finish' the socket may already be detached (req.ip would throw).
    const ip = req.ip;
    const userAgent = req.get('user-agent');
    const path = req.originalUrl.split('?')[0];
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // Successful requests log at `http` (below the default `info`): at thousands of tracker requests a
      // second, a line each would cost more than the request. LOG_LEVEL=http shows them.
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'http';
      // winston formats a record before its transports drop it: skip the work when nobody listens.
      if (!logger.isLevelEnabled(level)) return;
      logger.log(level, 'request', {
        requestId: res.locals['requestId'],
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
        ip,
        userAgent,
      });
    });
    next();
  };
}
