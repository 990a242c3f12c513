import { DRIVERS_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Vehicles } from '../vehicles/vehicles';
import type { Drivers } from './drivers';

/**
 * Drivers and their assignments. A vehicle's routes find the vehicle through the vehicles' own lookup
 * (`vehicles.get`: 404 for another organization's, or one outside the caller's scope) before anything.
 */
export function driverRoutes(deps: { drivers: Drivers; vehicles: Vehicles; auth: Authenticators }) {
  const { drivers, vehicles } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listDrivers, async ({ query }, { caller }) => drivers.list(caller.org, query))
    .serve(E.createDriver, async ({ body }, { caller }) => drivers.create(caller.org, body))
    .serve(E.getDriver, async ({ params }, { caller }) => drivers.get(caller.org, params.id))
    .serve(E.updateDriver, async ({ params, body }, { caller }) => drivers.update(caller.org, params.id, body))
    .serve(E.deleteDriver, async ({ params }, { caller }) => drivers.remove(caller.org, params.id))
    .serve(E.listDriverAssignments, async ({ params, query }, { caller }) =>
      drivers.driverHistory(caller.org, params.id, query),
    )
    .serve(E.getVehicleDriver, async ({ params }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      return drivers.current(caller.org, vehicle.id);
    })
    .serve(E.assignVehicleDriver, async ({ params, body }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      return drivers.assign(caller.org, vehicle.id, body.driverId);
    })
    .serve(E.unassignVehicleDriver, async ({ params }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      await drivers.unassign(caller.org, vehicle.id);
    })
    .serve(E.listVehicleDriverAssignments, async ({ params, query }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      return drivers.vehicleHistory(caller.org, vehicle.id, query);
    }).router;
}
