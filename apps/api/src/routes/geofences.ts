import { GEOFENCES_ENDPOINTS as E } from '@fleet/contracts';
import type { Geofences } from '../geofences/geofences';
import { EndpointRouter, type Authenticators } from '../http/serve';

export function geofenceRoutes(deps: { geofences: Geofences; auth: Authenticators }) {
  const { geofences } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listGeofences, async ({ query }, { caller }) => geofences.list(caller.org, query))
    .serve(E.createGeofence, async ({ body }, { caller }) => geofences.create(caller.org, body))
    .serve(E.getGeofence, async ({ params }, { caller }) => geofences.get(caller.org, params.id))
    .serve(E.updateGeofence, async ({ params, body }, { caller }) => geofences.update(caller.org, params.id, body))
    .serve(E.deleteGeofence, async ({ params }, { caller }) => geofences.remove(caller.org, params.id)).router;
}
