import type { TokenService } from '@fleet/auth';
import { GeofenceInput, GeofenceListQuery, GeofenceUpdate } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller, requireRole } from '../auth/middleware';
import type { Geofences } from '../geofences/geofences';

export function geofenceRoutes(deps: { geofences: Geofences; tokens: TokenService }): Router {
  const router = Router();
  const auth = authenticate(deps.tokens);
  const manage = requireRole('admin', 'operator');

  router.get('/geofences', auth, async (req, res) => {
    res.json(await deps.geofences.list(caller(res).org, GeofenceListQuery.parse(req.query)));
  });
  router.post('/geofences', auth, manage, async (req, res) => {
    res.status(201).json(await deps.geofences.create(caller(res).org, GeofenceInput.parse(req.body)));
  });
  router.get('/geofences/:id', auth, async (req, res) => {
    res.json(await deps.geofences.get(caller(res).org, req.params['id'] as string));
  });
  router.patch('/geofences/:id', auth, manage, async (req, res) => {
    res.json(await deps.geofences.update(caller(res).org, req.params['id'] as string, GeofenceUpdate.parse(req.body)));
  });
  router.delete('/geofences/:id', auth, manage, async (req, res) => {
    await deps.geofences.remove(caller(res).org, req.params['id'] as string);
    res.status(204).end();
  });
  return router;
}
