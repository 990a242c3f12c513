import { createHash, timingSafeEqual } from 'node:crypto';
import { OrganizationCreate } from '@fleet/contracts';
import { Router, type RequestHandler } from 'express';
import { bearerToken } from '../auth/credentials';
import { AppError } from '../errors';
import type { Platform } from '../organization/organization';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The platform administrator's credential: `Authorization: Bearer <PLATFORM_ADMIN_TOKEN>`, compared in
 * constant time (both sides hashed first, so neither the content nor the length leaks through timing).
 * No token configured: the routes do not exist (the same 404 as any unknown path). An organization
 * admin's access token is no platform credential.
 */
function platformAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return (req, _res, next) => {
    if (!expected) throw new AppError(404, 'not_found', `no route for ${req.method} ${req.baseUrl}${req.path}`);
    const token = bearerToken(req.get('authorization'));
    if (!token || !timingSafeEqual(digest(token), expected))
      throw new AppError(401, 'unauthorized', 'the platform administrator token is required', undefined, {
        'WWW-Authenticate': 'Bearer realm="fleet-platform"',
      });
    next();
  };
}

/** Platform administration, mounted on /api/v1: the installation's organizations, and new ones with their first admin. */
export function platformRoutes(deps: { platform: Platform; adminToken: string | undefined }): Router {
  const router = Router();
  const guard = platformAdmin(deps.adminToken);
  router.get('/platform/organizations', guard, async (_req, res) => {
    res.json({ items: await deps.platform.listOrganizations() });
  });
  router.post('/platform/organizations', guard, async (req, res) => {
    const created = await deps.platform.createOrganization(OrganizationCreate.parse(req.body));
    // A generated password is in the answer: no cache may keep it.
    res.set('Cache-Control', 'no-store').status(201).json(created);
  });
  return router;
}
