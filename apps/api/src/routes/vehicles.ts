import { VEHICLES_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Vehicles } from '../vehicles/vehicles';

export function vehicleRoutes(deps: { vehicles: Vehicles; auth: Authenticators }) {
  const { vehicles } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listVehicles, async ({ query }, { caller }) => vehicles.list(caller.org, query))
    .serve(E.createVehicle, async ({ body }, { caller }) => vehicles.create(caller.org, body))
    .serve(E.getVehicle, async ({ params }, { caller }) => vehicles.get(caller.org, params.id))
    .serve(E.updateVehicle, async ({ params, body }, { caller }) => vehicles.update(caller.org, params.id, body))
    .serve(E.deleteVehicle, async ({ params }, { caller }) => vehicles.remove(caller.org, params.id))
    .serve(E.regenerateDeviceToken, async ({ params }, { caller }) => vehicles.regenerateToken(caller.org, params.id))
    .router;
}
