import { ENDPOINTS } from '@fleet/contracts';

/** What a phone needs to report as a vehicle: Traccar Client (OsmAnd protocol) and OwnTracks (HTTP mode). */
export interface DeviceSetup {
  traccarUrl: string;
  traccarGatewayUrl: string;
  ownTracksUrl: string;
  /** OwnTracks' remote configuration link (`owntracks:///config?inline=<base64 JSON>`), for its QR code. */
  ownTracksConfigLink: string;
}

const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

export function deviceSetup(options: {
  /** The site's origin (https://fleet.example.com) or the configured tracker server URL. */
  origin: string;
  osmandPort: number;
  identifier: string;
  token?: string;
  name: string;
}): DeviceSetup {
  const origin = new URL(options.origin);
  const traccar = new URL(origin.origin);
  // Traccar Client speaks plain HTTP to its own port by default; the gateway path works over HTTPS.
  traccar.protocol = 'http:';
  traccar.port = String(options.osmandPort);
  // The paths the trackers post to are the declared ingestion endpoints (no parameters in them).
  const ownTracksUrl = `${origin.origin}${ENDPOINTS.ingestOwnTracks.path}`;
  const config = {
    _type: 'configuration',
    mode: 3, // HTTP
    url: ownTracksUrl,
    auth: true,
    username: options.identifier,
    ...(options.token && { password: options.token }),
    deviceId: options.identifier.slice(0, 32),
    tid:
      options.name
        .replace(/[^A-Za-z0-9]/g, '')
        .slice(-2)
        .toUpperCase() || 'FL',
    monitoring: 1,
  };
  return {
    traccarUrl: traccar.origin,
    traccarGatewayUrl: `${origin.origin}${ENDPOINTS.osmandQuery.path}`,
    ownTracksUrl,
    ownTracksConfigLink: `owntracks:///config?inline=${encodeURIComponent(base64(JSON.stringify(config)))}`,
  };
}
