import { parseCookie } from 'cookie';
import type { Request } from 'express';

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

/** The user name and password of an `Authorization: Basic …` header, or undefined for any other header. */
export function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The value of the request's cookie `name` (the `cookie` package parses the header). */
export function requestCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  return header === undefined ? undefined : parseCookie(header)[name];
}
