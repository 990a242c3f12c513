import { InvalidTokenError, type AccessClaims, type Role, type TokenService } from '@fleet/auth';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';

/** The caller, as the access token says (set by `authenticate`). */
export function caller(res: Response): AccessClaims {
  const auth = res.locals['auth'] as AccessClaims | undefined;
  if (!auth) throw new AppError(401, 'unauthorized', 'sign in first');
  return auth;
}

/** Requires a valid access token (`Authorization: Bearer …`). */
export function authenticate(tokens: TokenService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const challenge = { 'WWW-Authenticate': 'Bearer realm="fleet"' };
    if (!match) return next(new AppError(401, 'unauthorized', 'an access token is required', undefined, challenge));
    try {
      res.locals['auth'] = await tokens.verify(match[1]);
      next();
    } catch (err) {
      const expired = err instanceof InvalidTokenError && err.reason === 'expired';
      next(
        new AppError(
          401,
          'unauthorized',
          expired ? 'access token expired; refresh it' : 'access token invalid',
          undefined,
          challenge,
        ),
      );
    }
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    if (!roles.includes(caller(res).role))
      return next(new AppError(403, 'forbidden', `needs the role ${roles.join(' or ')}`));
    next();
  };
}
