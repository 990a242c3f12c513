import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidTokenError, type TokenService, type VerifiedClaims } from '@fleet/auth';
import type { Endpoint } from '@fleet/contracts';
import type { Request, RequestHandler } from 'express';
import { BEARER_CHALLENGE, unauthorized } from '../errors';
import type { VehicleScope } from '../groups/scope';
import { bearerToken, requestCookie } from './credentials';

/**
 * The web's access token as an httpOnly cookie (set at web sign-in, same life as the token): a browser
 * EventSource cannot send an Authorization header. Accepted only where an endpoint's `accessTokenIn`
 * says `cookie` (the read-only live stream: harmless to forge, and SameSite=Strict).
 */
export const ACCESS_COOKIE = 'fleet_access';

/** Where else than the Authorization header an endpoint takes the access token from. */
export type AccessTokenSources = NonNullable<Endpoint['accessTokenIn']>;

/**
 * The caller of a `user` endpoint: the access token from `Authorization: Bearer …`, else (where
 * `accessTokenIn` allows) `?access_token=` (the access log never records query strings), else the
 * `fleet_access` cookie; verified (signature, expiry, session version). Returns its claims with `exp`
 * (seconds), for callers that must end something when the token expires. Every refusal is a 401 with
 * the Bearer challenge; a session check that could not reach its stores is passed on as is.
 */
export async function verifyAccess(
  req: Request,
  tokens: TokenService,
  accessTokenIn: AccessTokenSources = [],
): Promise<VerifiedClaims> {
  const header = req.get('authorization');
  const bearer = bearerToken(header);
  // A malformed header is refused even if a cookie would do: the client meant to send something else.
  if (header !== undefined && bearer === undefined)
    throw unauthorized('Authorization must be "Bearer <access token>"', BEARER_CHALLENGE);
  const query = req.query['access_token'];
  const token =
    bearer ??
    (accessTokenIn.includes('query') && typeof query === 'string' ? query : undefined) ??
    (accessTokenIn.includes('cookie') ? requestCookie(req, ACCESS_COOKIE) : undefined);
  if (!token) throw unauthorized('an access token is required', BEARER_CHALLENGE);
  try {
    return await tokens.verify(token);
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
    throw unauthorized(tokenProblem(err), BEARER_CHALLENGE);
  }
}

/** What to tell the holder of a refused access token. */
function tokenProblem(err: InvalidTokenError): string {
  if (err.reason === 'expired') return 'access token expired; refresh it';
  if (err.reason === 'revoked') return 'access token revoked (account changed or signed out everywhere); sign in again';
  return 'access token invalid';
}

/**
 * The `user` authenticator: the verified claims (with `exp`) go to `res.locals['auth']`, where
 * `context.caller` finds them, and the caller's vehicle scope (`scopes`) to `res.locals['scope']`
 * (`context.scope`). `accessTokenIn`: the endpoint's declaration.
 */
export function authenticate(
  tokens: TokenService,
  accessTokenIn?: AccessTokenSources,
  scopes?: (claims: VerifiedClaims) => Promise<VehicleScope>,
): RequestHandler {
  return async (req, res, next) => {
    const claims = await verifyAccess(req, tokens, accessTokenIn);
    res.locals['auth'] = claims;
    // The caller's vehicle groups, read now (not from the token) so an admin's change applies at once.
    if (scopes) res.locals['scope'] = await scopes(claims);
    next();
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
/** Its own realm: an organization admin's access token is no platform credential. */
const PLATFORM_CHALLENGE = 'Bearer realm="fleet-platform"';

/**
 * The `platform` authenticator: `Authorization: Bearer <PLATFORM_ADMIN_TOKEN>`, compared in constant
 * time (both sides hashed first, so neither the content nor the length leaks through timing). No token
 * configured: the endpoints do not exist (the request goes on to the same 404 as any unknown path).
 */
export function platformAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return (req, _res, next) => {
    if (!expected) return next('route');
    const token = bearerToken(req.get('authorization'));
    if (!token || !timingSafeEqual(digest(token), expected))
      throw unauthorized('the platform administrator token is required', PLATFORM_CHALLENGE);
    next();
  };
}
