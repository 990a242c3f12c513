import { parseCookie } from 'cookie';
import type { Request } from 'express';

export { basicCredentials } from '@fleet/auth';

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

/** The value of the request's cookie `name` (the `cookie` package parses the header). */
export function requestCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  return header === undefined ? undefined : parseCookie(header)[name];
}
