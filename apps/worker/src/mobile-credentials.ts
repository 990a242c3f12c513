import client from 'prom-client';

/**
 * The expiry dates of the mobile app's push credentials and signing certificates (APNs key, iOS
 * distribution certificate, Play upload key…), from MOBILE_CREDENTIAL_EXPIRY, as a gauge that the
 * MobileCredentialExpiringSoon alert compares with the time: no store or service API is asked.
 */
export function registerCredentialExpiry(registry: client.Registry, expiries: Record<string, Date>): void {
  const gauge = new client.Gauge({
    name: 'mobile_credential_expiry_timestamp_seconds',
    help: 'When each mobile push credential or signing certificate expires (Unix seconds), from MOBILE_CREDENTIAL_EXPIRY',
    labelNames: ['credential'] as const,
    registers: [registry],
  });
  for (const [credential, date] of Object.entries(expiries))
    gauge.set({ credential }, Math.floor(date.getTime() / 1000));
}
