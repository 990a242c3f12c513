import type { TokenService } from '@fleet/auth';
import { EventListQuery } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller } from '../auth/middleware';
import type { Events } from '../events/events';

export function eventRoutes(deps: { events: Events; tokens: TokenService }): Router {
  const router = Router();
  const auth = authenticate(deps.tokens);
  router.get('/events', auth, async (req, res) => {
    res.json(await deps.events.list(caller(res).org, EventListQuery.parse(req.query)));
  });
  router.get('/events/:id', auth, async (req, res) => {
    res.json(await deps.events.get(caller(res).org, req.params['id'] as string));
  });
  return router;
}
