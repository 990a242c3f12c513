import type { TokenService } from '@fleet/auth';
import { AcceptInvitationRequest, InvitationRequest, UserListQuery, UserUpdate } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller, requireRole } from '../auth/middleware';
import type { Users } from '../users/users';

export function userRoutes(deps: { users: Users; tokens: TokenService }): Router {
  const router = Router();
  const admin = [authenticate(deps.tokens), requireRole('admin')];
  router.get('/users', ...admin, async (req, res) => {
    res.json(await deps.users.list(caller(res).org, UserListQuery.parse(req.query)));
  });
  router.post('/users/invitations', ...admin, async (req, res) => {
    const me = caller(res);
    res.status(201).json(await deps.users.invite(me.org, me.sub, InvitationRequest.parse(req.body)));
  });
  router.patch('/users/:id', ...admin, async (req, res) => {
    const me = caller(res);
    res.json(await deps.users.update(me.org, me.sub, req.params['id'] as string, UserUpdate.parse(req.body)));
  });
  router.delete('/users/:id', ...admin, async (req, res) => {
    const me = caller(res);
    await deps.users.remove(me.org, me.sub, req.params['id'] as string);
    res.status(204).end();
  });
  router.post('/auth/accept-invitation', async (req, res) => {
    res.status(201).json(await deps.users.accept(AcceptInvitationRequest.parse(req.body)));
  });
  return router;
}
