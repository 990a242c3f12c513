import { InvalidTokenError, type AccessClaims, type Role, type TokenService } from '@fleet/auth';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';
import { bearerToken } from './credentials';

/** The caller, as the access token says (set by `authenticate`). */
export function caller(res: Response): AccessClaims {
  const auth = res.locals['auth'] as AccessClaims | undefined;
  if (!auth) throw new AppError(401, 'unauthorized', 'sign in first');
  return auth;
}

/** Requires a valid access token (`Authorization: Bearer …`). */
export function authenticate(tokens: TokenService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req.get('authorization'));
    const challenge = { 'WWW-Authenticate': 'Bearer realm="fleet"' };
    if (!token) return next(new AppError(401, 'unauthorized', 'an access token is required', undefined, challenge));
    try {
      res.locals['auth'] = await tokens.verify(token);
      next();
    } catch (err) {
      // Anything but a refused token (the session check could not reach its stores) is not a 401.
      if (!(err instanceof InvalidTokenError)) return next(err);
      next(new AppError(401, 'unauthorized', tokenProblem(err), undefined, challenge));
    }
  };
}

/** What to tell the holder of a refused access token. */
export function tokenProblem(err: InvalidTokenError): string {
  if (err.reason === 'expired') return 'access token expired; refresh it';
  if (err.reason === 'revoked') return 'access token revoked (account changed or signed out everywhere); sign in again';
  return 'access token invalid';
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    if (!roles.includes(caller(res).role))
      return next(new AppError(403, 'forbidden', `needs the role ${roles.join(' or ')}`));
    next();
  };
}
