import { z } from 'zod';
import type { Device, DeviceDirectory } from './devices';
import type { IngestPipeline } from './pipeline';
import { refuse, type Refusal } from './protocols/http';

/** OwnTracks and the OsmAnd token both use HTTP Basic auth (the device token as the password). */
export const BASIC_CHALLENGE = 'Basic realm="fleet", charset="UTF-8"';

/** The signed-in user behind a request, as the API's access-token check answers it. */
export interface SignedInUser {
  role: string;
  /** The user's organization. */
  org: string;
}

/**
 * Checks the user's access token and answers who signed in, or throws the API's own 401 (or 503 when the
 * session store cannot answer). Injected per request: only the API knows its tokens and sessions.
 */
export type UserVerifier = () => Promise<SignedInUser>;

const looksLikeJwt = (token: string | undefined): token is string =>
  token !== undefined && /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token);

// Any 8-4-4-4-12 hex string: anything else cannot name a vehicle, and is answered 404 without a query.
const vehicleIdSyntax = z.guid();

/**
 * Who may send positions for which device, the same for every HTTP protocol: a device token, an OsmAnd
 * identifier (with its token when sent or required), or a signed-in admin/operator writing for a
 * vehicle of their organization. Each refusal is counted (`pipeline.reject(protocol, reason, count)`)
 * and thrown as a Refusal: `unauthorized` (401, with the protocol's challenge), `forbidden` (403, a
 * disabled device or a viewer), `not_found` (404 vehicle, or what the protocol answers for an unknown
 * identifier).
 */
export class DeviceAuth {
  constructor(
    private readonly devices: DeviceDirectory,
    private readonly pipeline: Pick<IngestPipeline, 'reject'>,
  ) {}

  /** The device a token belongs to, or a 401/403 that says why not. */
  async byToken(protocol: string, token: string | undefined, challenge?: string): Promise<Device> {
    if (!token) {
      this.pipeline.reject(protocol, 'unauthorized');
      throw refuse.unauthorized('a device token is required (Authorization header)', challenge);
    }
    const device = await this.devices.byToken(token);
    if (!device) {
      this.pipeline.reject(protocol, 'unauthorized');
      throw refuse.unauthorized('unknown device token', challenge);
    }
    return this.enabled(protocol, device);
  }

  /**
   * The device an OsmAnd / Traccar Client request names (DeviceDirectory.forOsmAnd), or the refusal
   * Traccar would answer: 401 when its token is missing or wrong, `unknown()` for an unknown identifier
   * (404 for JSON, 400 for the query form), 403 for a disabled device; each counted for `count` positions.
   */
  async forOsmAnd(
    protocol: string,
    lookup: { identifier: string; token: string | undefined; count: number; unknown: () => Refusal },
  ): Promise<Device> {
    const found = await this.devices.forOsmAnd(lookup.identifier, lookup.token);
    if (found.unauthorized !== undefined) {
      this.pipeline.reject(protocol, 'unauthorized', lookup.count);
      throw refuse.unauthorized(found.unauthorized, BASIC_CHALLENGE);
    }
    if (!found.device) {
      this.pipeline.reject(protocol, 'unknown_device', lookup.count);
      throw lookup.unknown();
    }
    return this.enabled(protocol, found.device, lookup.count);
  }

  /**
   * The device of vehicle `vehicleId`, for its own device token or for a signed-in admin or operator of
   * its organization (a bearer token that looks like a JWT is an access token). Another vehicle's token,
   * an unknown vehicle or one of another organization is a 404 `vehicle`.
   */
  async forVehicle(
    protocol: string,
    vehicleId: string,
    credentials: { token: string | undefined; verifyUser: UserVerifier },
  ): Promise<Device> {
    const device = looksLikeJwt(credentials.token)
      ? await this.forUser(vehicleId, credentials.verifyUser)
      : await this.byToken(protocol, credentials.token);
    if (device.vehicleId !== vehicleId) throw refuse.notFound('vehicle');
    return device;
  }

  /** The device of a vehicle the signed-in user may write to (admin or operator of its organization). */
  private async forUser(vehicleId: string, verifyUser: UserVerifier): Promise<Device> {
    // A refused token is a 401; a session store that cannot answer is a 503 (nothing accepted), not a 401.
    const user = await verifyUser();
    if (user.role === 'viewer') throw refuse.forbidden('needs the role admin or operator');
    const device = vehicleIdSyntax.safeParse(vehicleId).success ? await this.devices.byVehicle(vehicleId) : undefined;
    if (!device || device.organizationId !== user.org) throw refuse.notFound('vehicle');
    return device;
  }

  private enabled(protocol: string, device: Device, count = 1): Device {
    if (!device.disabled) return device;
    this.pipeline.reject(protocol, 'disabled_device', count);
    throw refuse.forbidden('this device is disabled: its positions are refused');
  }
}
