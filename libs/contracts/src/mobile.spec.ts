import fc from 'fast-check';
import {
  DEFAULT_TRACKER_SETTINGS,
  decodeProvisioning,
  encodeProvisioning,
  resolveTrackerSettings,
  TrackerSettings,
} from './mobile';

const payload = {
  serverUrl: 'https://fleet.example.com',
  deviceToken: 'dt_4f2a9c1e7b3d5a60',
  vehicleName: 'Furgón 7 & co',
  vehicleId: '3f1e2d4c-5b6a-4789-8abc-def012345678',
};

describe('tracker provisioning', () => {
  it('encodes to a fleet-tracker:// URL and decodes back', () => {
    const url = encodeProvisioning(payload);
    expect(url.startsWith('fleet-tracker://provision?v=1&')).toBe(true);
    expect(decodeProvisioning(url)).toEqual({ ok: true, value: { version: 1, ...payload } });
  });

  it('round-trips any valid vehicle name and token', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 100 }).filter((s) => !s.includes('\u0000') && !/[\ud800-\udfff]/.test(s)),
        fc.stringMatching(/^[\x21-\x7e]{8,64}$/),
        (vehicleName, deviceToken) => {
          const decoded = decodeProvisioning(encodeProvisioning({ ...payload, vehicleName, deviceToken }));
          expect(decoded).toEqual({ ok: true, value: { version: 1, ...payload, vehicleName, deviceToken } });
        },
      ),
    );
  });

  it('says why a code cannot be used', () => {
    expect(decodeProvisioning('https://fleet.example.com')).toMatchObject({ ok: false, error: 'not_provisioning' });
    expect(decodeProvisioning(encodeProvisioning(payload).replace('v=1', 'v=2'))).toMatchObject({
      ok: false,
      error: 'unsupported_version',
    });
    const bad = decodeProvisioning(encodeProvisioning(payload).replace('https%3A', 'ftp%3A'));
    expect(bad).toMatchObject({ ok: false, error: 'invalid' });
    expect(() => encodeProvisioning({ ...payload, serverUrl: 'https://user:pw@fleet.example.com' })).toThrow();
  });
});

describe('tracker settings', () => {
  it('resolves defaults, then each level in order, ignoring values that are not valid', () => {
    expect(TrackerSettings.parse(DEFAULT_TRACKER_SETTINGS)).toEqual(DEFAULT_TRACKER_SETTINGS);
    expect(
      resolveTrackerSettings({ distanceFilterMeters: 20, heartbeatSeconds: 120 }, null, {
        heartbeatSeconds: 60,
        uploadBatchSize: 5000,
        unknown: 1,
      }),
    ).toEqual({ ...DEFAULT_TRACKER_SETTINGS, distanceFilterMeters: 20, heartbeatSeconds: 60 });
  });
});
