import { LoginRequest, PasswordChangeRequest, RefreshRequest, type TokenResponse } from '@fleet/contracts';
import type { TokenService } from '@fleet/auth';
import { Router, type Request, type Response } from 'express';
import { authenticate, caller } from '../auth/middleware';
import type { LoginLimiter } from '../auth/rate-limit';
import type { IssuedSession, Sessions } from '../auth/sessions';
import { AppError } from '../errors';

const COOKIE = 'fleet_refresh';
const COOKIE_PATH = '/api/v1/auth';
/**
 * The web's access token, also as an httpOnly cookie (same life as the token): a browser EventSource
 * cannot send an Authorization header, so GET /api/v1/live accepts this cookie — and only that route.
 */
export const ACCESS_COOKIE = 'fleet_access';
const ACCESS_COOKIE_PATH = '/api/v1';

export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // malformed %-escapes: no usable cookie
      }
    }
  }
  return undefined;
}

export function authRoutes(deps: {
  sessions: Sessions;
  tokens: TokenService;
  limiter: LoginLimiter;
  secureCookies: boolean;
  refreshTtlDays: number;
}): Router {
  const router = Router();

  // The web keeps its refresh token in an httpOnly cookie scoped to /api/v1/auth; mobile gets it in the body.
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
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  };

  router.post('/auth/login', async (req, res) => {
    const { email, password, client } = LoginRequest.parse(req.body);
    // The attempt is counted before the password is checked (see LoginLimiter).
    await deps.limiter.attempt(req.ip ?? 'unknown', email);
    const session = await deps.sessions.login(email, password);
    await deps.limiter.succeeded(email);
    reply(req, res, session, client);
  });

  router.post('/auth/refresh', async (req, res) => {
    const body = RefreshRequest.parse(req.body ?? {});
    const token = body.refreshToken ?? cookieValue(req, COOKIE);
    if (!token) throw new AppError(401, 'unauthorized', 'no refresh token (cookie or body)');
    reply(req, res, await deps.sessions.refresh(token), body.refreshToken ? body.client : 'web');
  });

  router.post('/auth/logout', async (req, res) => {
    const body = RefreshRequest.parse(req.body ?? {});
    const token = body.refreshToken ?? cookieValue(req, COOKIE);
    if (token) await deps.sessions.logout(token);
    res.clearCookie(COOKIE, { path: COOKIE_PATH, httpOnly: true, secure: deps.secureCookies, sameSite: 'strict' });
    res.clearCookie(ACCESS_COOKIE, {
      path: ACCESS_COOKIE_PATH,
      httpOnly: true,
      secure: deps.secureCookies || req.secure,
      sameSite: 'strict',
    });
    res.status(204).end();
  });

  router.get('/auth/me', authenticate(deps.tokens), async (_req, res) => {
    res.json(await deps.sessions.me(caller(res).sub));
  });

  router.post('/auth/password', authenticate(deps.tokens), async (req, res) => {
    const { currentPassword, newPassword, client } = PasswordChangeRequest.parse(req.body);
    // Every session of the user ends, this one included: it continues with the fresh one answered.
    reply(req, res, await deps.sessions.changePassword(caller(res).sub, currentPassword, newPassword), client);
  });

  return router;
}
