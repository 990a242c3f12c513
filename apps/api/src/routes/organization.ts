import type { TokenService } from '@fleet/auth';
import { OrganizationUpdate } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller, requireRole } from '../auth/middleware';
import type { Organizations } from '../organization/organization';

export function organizationRoutes(deps: { organizations: Organizations; tokens: TokenService }): Router {
  const router = Router();
  const auth = authenticate(deps.tokens);
  router.get('/organization', auth, async (_req, res) => {
    res.json(await deps.organizations.get(caller(res).org));
  });
  router.patch('/organization', auth, requireRole('admin'), async (req, res) => {
    res.json(await deps.organizations.update(caller(res).org, OrganizationUpdate.parse(req.body)));
  });
  return router;
}
