import type { TokenService } from '@fleet/auth';
import { VehicleInput, VehicleListQuery, VehicleUpdate } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller, requireRole } from '../auth/middleware';
import type { Vehicles } from '../vehicles/vehicles';

export function vehicleRoutes(deps: { vehicles: Vehicles; tokens: TokenService }): Router {
  const router = Router();
  const auth = authenticate(deps.tokens);
  const manage = requireRole('admin', 'operator');

  router.get('/vehicles', auth, async (req, res) => {
    res.json(await deps.vehicles.list(caller(res).org, VehicleListQuery.parse(req.query)));
  });
  router.post('/vehicles', auth, manage, async (req, res) => {
    res.status(201).json(await deps.vehicles.create(caller(res).org, VehicleInput.parse(req.body)));
  });
  router.get('/vehicles/:id', auth, async (req, res) => {
    res.json(await deps.vehicles.get(caller(res).org, req.params['id'] as string));
  });
  router.patch('/vehicles/:id', auth, manage, async (req, res) => {
    res.json(await deps.vehicles.update(caller(res).org, req.params['id'] as string, VehicleUpdate.parse(req.body)));
  });
  router.delete('/vehicles/:id', auth, requireRole('admin'), async (req, res) => {
    await deps.vehicles.remove(caller(res).org, req.params['id'] as string);
    res.status(204).end();
  });
  router.post('/vehicles/:id/device-token', auth, manage, async (req, res) => {
    res.json(await deps.vehicles.regenerateToken(caller(res).org, req.params['id'] as string));
  });
  return router;
}
