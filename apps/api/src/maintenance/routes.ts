import { MAINTENANCE_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Vehicles } from '../vehicles/vehicles';
import type { Maintenance } from './maintenance';

/**
 * Maintenance rules, status and records. A vehicle's routes find the vehicle through the vehicles'
 * own lookup (`vehicles.get`: 404 for another organization's, or one outside the caller's scope)
 * before anything; the status list shows only the caller's vehicles. Rules are the organization's.
 */
export function maintenanceRoutes(deps: { maintenance: Maintenance; vehicles: Vehicles; auth: Authenticators }) {
  const { maintenance, vehicles } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listMaintenanceRules, async (_input, { caller }) => maintenance.listRules(caller.org))
    .serve(E.createMaintenanceRule, async ({ body }, { caller }) => maintenance.createRule(caller.org, body))
    .serve(E.getMaintenanceRule, async ({ params }, { caller }) => maintenance.getRule(caller.org, params.id))
    .serve(E.updateMaintenanceRule, async ({ params, body }, { caller }) =>
      maintenance.updateRule(caller.org, params.id, body),
    )
    .serve(E.deleteMaintenanceRule, async ({ params }, { caller }) => maintenance.removeRule(caller.org, params.id))
    .serve(E.listMaintenanceStatus, async ({ query }, { scope }) => maintenance.status(scope, query))
    .serve(E.getVehicleMaintenance, async ({ params }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      return maintenance.vehicleStatus(caller.org, vehicle);
    })
    .serve(E.markMaintenanceDone, async ({ params, body }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      return maintenance.markDone(caller.org, vehicle.id, body, caller.sub);
    })
    .serve(E.listVehicleMaintenanceRecords, async ({ params, query }, { caller, scope }) => {
      const vehicle = await vehicles.get(scope, params.id);
      return maintenance.records(caller.org, vehicle.id, query);
    }).router;
}
