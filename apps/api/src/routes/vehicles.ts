import { VEHICLES_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Vehicles } from '../vehicles/vehicles';

export function vehicleRoutes(deps: { vehicles: Vehicles; auth: Authenticators }) {
  const { vehicles } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listVehicles, async ({ query }, { scope }) => vehicles.list(scope, query))
    .serve(E.createVehicle, async ({ body }, { scope }) => vehicles.create(scope, body))
    .serve(E.getVehicle, async ({ params }, { scope }) => vehicles.get(scope, params.id))
    .serve(E.updateVehicle, async ({ params, body }, { scope }) => vehicles.update(scope, params.id, body))
    .serve(E.deleteVehicle, async ({ params }, { scope }) => vehicles.remove(scope, params.id))
    .serve(E.regenerateDeviceToken, async ({ params }, { scope }) => vehicles.regenerateToken(scope, params.id)).router;
}
