import { MOBILE_ENDPOINTS as E } from '@fleet/contracts';
import { bearerToken } from '../auth/credentials';
import { BEARER_CHALLENGE, forbidden, unauthorized } from '../errors';
import type { DeviceDirectory } from '@fleet/ingest';
import { EndpointRouter, Reply, type Authenticators } from '../http/serve';
import type { PushTokens } from '../mobile/push-tokens';
import type { TrackerSettingsService } from '../mobile/tracker-settings';

export interface MobileRouteDeps {
  trackerSettings: TrackerSettingsService;
  pushTokens: PushTokens;
  devices: DeviceDirectory;
  auth: Authenticators;
}

/** The server side of our mobile app: tracker settings (admin and device) and push-token registration. */
export function mobileRoutes(deps: MobileRouteDeps) {
  const { trackerSettings: settings, pushTokens } = deps;
  return (
    new EndpointRouter('/api/v1', deps.auth)
      .serve(E.getOrganizationTrackerSettings, async (_input, { caller }) => settings.forOrganization(caller.org))
      .serve(E.putOrganizationTrackerSettings, async ({ body }, { caller }) =>
        settings.setForOrganization(caller.org, body),
      )
      .serve(E.getVehicleTrackerSettings, async ({ params }, { scope }) => settings.forVehicle(scope, params.id))
      .serve(E.putVehicleTrackerSettings, async ({ params, body }, { scope }) =>
        settings.setForVehicle(scope, params.id, body),
      )
      .serve(E.deleteVehicleTrackerSettings, async ({ params }, { scope }) => {
        await settings.setForVehicle(scope, params.id, null);
      })
      // The vehicle's device token as Bearer, checked here like POST /api/v1/positions checks it.
      .serve(E.getDeviceSettings, async (_input, { req }) => {
        const token = bearerToken(req.get('authorization'));
        if (!token) throw unauthorized('a device token is required (Authorization: Bearer)', BEARER_CHALLENGE);
        const device = await deps.devices.byToken(token);
        if (!device) throw unauthorized('unknown device token', BEARER_CHALLENGE);
        if (device.disabled) throw forbidden('this device is disabled');
        const answer = await settings.forDevice(device.vehicleId);
        if (!answer) throw unauthorized('unknown device token', BEARER_CHALLENGE);
        // Phones poll this; the answer changes only when an admin changes it.
        return new Reply(200, answer, { 'Cache-Control': 'no-store' });
      })
      .serve(E.registerPushToken, async ({ body }, { caller }) => pushTokens.register(caller, body))
      .serve(E.unregisterPushToken, async ({ body }, { caller }) => {
        await pushTokens.unregister(caller, body.token);
      }).router
  );
}
