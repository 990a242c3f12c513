import { DRIVERS_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Drivers } from './drivers';

/**
 * Drivers and their assignments. Drivers belong to the organization; what touches a vehicle goes
 * through the caller's vehicle scope (the one vehicle lookup, findVehicle: 404 for another
 * organization's vehicle or one outside the caller's groups).
 */
export function driverRoutes(deps: { drivers: Drivers; auth: Authenticators }) {
  const { drivers } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listDrivers, async ({ query }, { caller }) => drivers.list(caller.org, query))
    .serve(E.createDriver, async ({ body }, { caller }) => drivers.create(caller.org, body))
    .serve(E.getDriver, async ({ params }, { caller }) => drivers.get(caller.org, params.id))
    .serve(E.updateDriver, async ({ params, body }, { caller }) => drivers.update(caller.org, params.id, body))
    .serve(E.deleteDriver, async ({ params }, { caller }) => drivers.remove(caller.org, params.id))
    .serve(E.listDriverAssignments, async ({ params, query }, { scope }) =>
      drivers.driverHistory(scope, params.id, query),
    )
    .serve(E.getVehicleDriver, async ({ params }, { scope }) => drivers.current(scope, params.id))
    .serve(E.assignVehicleDriver, async ({ params, body }, { scope }) =>
      drivers.assign(scope, params.id, body.driverId),
    )
    .serve(E.unassignVehicleDriver, async ({ params }, { scope }) => drivers.unassign(scope, params.id))
    .serve(E.listVehicleDriverAssignments, async ({ params, query }, { scope }) =>
      drivers.vehicleHistory(scope, params.id, query),
    ).router;
}
