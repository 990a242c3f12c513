import { AUTH_ENDPOINTS as E, type TokenResponse } from '@fleet/contracts';
import type { Request, Response } from 'express';
import { requestCookie } from '../auth/credentials';
import { ACCESS_COOKIE } from '../auth/middleware';
import type { LoginLimiter } from '../auth/rate-limit';
import type { IssuedSession, Sessions } from '../auth/sessions';
import { unauthorized } from '../errors';
import { EndpointRouter, Reply, type Authenticators } from '../http/serve';

const COOKIE = 'fleet_refresh';
const COOKIE_PATH = '/api/v1/auth';
const ACCESS_COOKIE_PATH = '/api/v1';

export function authRoutes(deps: {
  sessions: Sessions;
  limiter: LoginLimiter;
  secureCookies: boolean;
  refreshTtlDays: number;
  auth: Authenticators;
}) {
  const { sessions, limiter } = deps;

  // The web keeps its refresh token in an httpOnly cookie scoped to /api/v1/auth, and its access token
  // in the `fleet_access` cookie (for the live stream's EventSource); mobile gets the refresh token in the body.
  const reply = (req: Request, res: Response, session: IssuedSession, client: 'web' | 'mobile') => {
    if (client === 'web') {
      res.cookie(COOKIE, session.refreshToken, {
        httpOnly: true,
        secure: deps.secureCookies,
        sameSite: 'strict',
        path: COOKIE_PATH,
        maxAge: deps.refreshTtlDays * 86_400_000,
      });
      res.cookie(ACCESS_COOKIE, session.accessToken, {
        httpOnly: true,
        secure: deps.secureCookies || req.secure,
        sameSite: 'strict',
        path: ACCESS_COOKIE_PATH,
        maxAge: session.expiresIn * 1000,
      });
    }
    const body: TokenResponse = {
      accessToken: session.accessToken,
      tokenType: 'Bearer',
      expiresIn: session.expiresIn,
      ...(client === 'mobile' && { refreshToken: session.refreshToken }),
      user: session.user,
    };
    return new Reply(200, body, { 'Cache-Control': 'no-store' });
  };

  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.login, async ({ body: { email, password, client } }, { req, res }) => {
      // The attempt is counted before the password is checked (see LoginLimiter).
      await limiter.attempt(req.ip ?? 'unknown', email);
      const session = await sessions.login(email, password);
      await limiter.succeeded(email);
      return reply(req, res, session, client);
    })
    .serve(E.refreshSession, async ({ body }, { req, res }) => {
      const token = body.refreshToken ?? requestCookie(req, COOKIE);
      if (!token) throw unauthorized('no refresh token (cookie or body)');
      return reply(req, res, await sessions.refresh(token), body.refreshToken ? body.client : 'web');
    })
    .serve(E.logout, async ({ body }, { req, res }) => {
      const token = body.refreshToken ?? requestCookie(req, COOKIE);
      if (token) await sessions.logout(token);
      res.clearCookie(COOKIE, { path: COOKIE_PATH, httpOnly: true, secure: deps.secureCookies, sameSite: 'strict' });
      res.clearCookie(ACCESS_COOKIE, {
        path: ACCESS_COOKIE_PATH,
        httpOnly: true,
        secure: deps.secureCookies || req.secure,
        sameSite: 'strict',
      });
    })
    .serve(E.me, async (_input, { caller }) => sessions.me(caller.sub))
    .serve(E.changePassword, async ({ body: { currentPassword, newPassword, client } }, { req, res, caller }) =>
      // Every session of the user ends, this one included: it continues with the fresh one answered.
      reply(req, res, await sessions.changePassword(caller.sub, currentPassword, newPassword), client),
    ).router;
}
