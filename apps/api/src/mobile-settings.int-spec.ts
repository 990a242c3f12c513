import {
  DEFAULT_TRACKER_SETTINGS,
  DeviceSettings,
  ErrorBody,
  PushTokenRegistered,
  TrackerSettingsLevel,
  VehicleWithToken,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations, TEST_PASSWORD } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let tokens: Record<string, string>;
let pool: pg.Pool;
let vehicle: VehicleWithToken;

beforeAll(async () => {
  testDb = await createTestDatabase('api-mobile-settings');
  await seedOrganizations(testDb.url, ['a', 'b']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  t = await startTestApi(
    { DATABASE_URL: testDb.url, DEVICE_OFFLINE_MINUTES: '10' },
    { keyPrefix: `test:mobile-settings:${process.pid}:` },
  );
  tokens = await loginAll(t.base, ['a', 'b']);
  vehicle = VehicleWithToken.parse(
    await (await apiCall(t.base, tokens['admin@a'], 'POST', '/vehicles', { name: 'Van 7' })).json(),
  );
});

afterAll(async () => {
  await t?.api.stop();
  await pool?.end();
  await testDb?.drop();
});

const deviceSettings = (token: string | undefined) =>
  fetch(`${t.base}/api/v1/device/settings`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('tracker settings', () => {
  jest.setTimeout(30_000);

  it('gives the phone the defaults until an admin changes them', async () => {
    const res = await deviceSettings(vehicle.deviceToken);
    expect(res.status).toBe(200);
    expect(DeviceSettings.parse(await res.json())).toEqual({
      vehicleId: vehicle.vehicle.id,
      vehicleName: 'Van 7',
      tracker: DEFAULT_TRACKER_SETTINGS,
    });
  });

  it('applies the vehicle override over the organization over the defaults, and drops the override on delete', async () => {
    const org = await apiCall(t.base, tokens['admin@a'], 'PUT', '/organization/tracker-settings', {
      distanceFilterMeters: 20,
      heartbeatSeconds: 120,
    });
    expect(org.status).toBe(200);
    expect(TrackerSettingsLevel.parse(await org.json())).toMatchObject({
      overrides: { distanceFilterMeters: 20, heartbeatSeconds: 120 },
      effective: { ...DEFAULT_TRACKER_SETTINGS, distanceFilterMeters: 20, heartbeatSeconds: 120 },
      offlineMinutes: 10,
    });
    const veh = await apiCall(t.base, tokens['admin@a'], 'PUT', `/vehicles/${vehicle.vehicle.id}/tracker-settings`, {
      heartbeatSeconds: 60,
      chargingIntervalSeconds: 5,
    });
    expect(veh.status).toBe(200);

    const device = DeviceSettings.parse(await (await deviceSettings(vehicle.deviceToken)).json());
    expect(device.tracker).toEqual({
      ...DEFAULT_TRACKER_SETTINGS,
      distanceFilterMeters: 20,
      heartbeatSeconds: 60,
      chargingIntervalSeconds: 5,
    });
    // A viewer reads the same resolution.
    const seen = await apiCall(t.base, tokens['viewer@a'], 'GET', `/vehicles/${vehicle.vehicle.id}/tracker-settings`);
    expect(TrackerSettingsLevel.parse(await seen.json()).effective).toEqual(device.tracker);

    expect(
      (await apiCall(t.base, tokens['admin@a'], 'DELETE', `/vehicles/${vehicle.vehicle.id}/tracker-settings`)).status,
    ).toBe(204);
    const after = DeviceSettings.parse(await (await deviceSettings(vehicle.deviceToken)).json());
    expect(after.tracker).toEqual({ ...DEFAULT_TRACKER_SETTINGS, distanceFilterMeters: 20, heartbeatSeconds: 120 });
    const level = TrackerSettingsLevel.parse(
      await (
        await apiCall(t.base, tokens['admin@a'], 'GET', `/vehicles/${vehicle.vehicle.id}/tracker-settings`)
      ).json(),
    );
    expect(level.overrides).toBeNull();
  });

  it('refuses a heartbeat or upload interval at or above the offline threshold, out-of-range values and unknown keys, naming the field', async () => {
    for (const [body, field] of [
      [{ heartbeatSeconds: 600 }, 'heartbeatSeconds'],
      [{ uploadIntervalSeconds: 600 }, 'uploadIntervalSeconds'],
      [{ uploadBatchSize: 1001 }, 'uploadBatchSize'],
      [{ distanceFilterMeters: -1 }, 'distanceFilterMeters'],
      [{ intervalSeconds: 5 }, ''],
    ] as const) {
      const res = await apiCall(t.base, tokens['admin@a'], 'PUT', '/organization/tracker-settings', body);
      expect(res.status).toBe(400);
      const error = ErrorBody.parse(await res.json()).error;
      if (field) expect(error.details?.map((d) => d.path)).toContain(field);
    }
    // A vehicle override is checked against the organization's settings it falls back on.
    const res = await apiCall(t.base, tokens['admin@a'], 'PUT', `/vehicles/${vehicle.vehicle.id}/tracker-settings`, {
      heartbeatSeconds: 900,
    });
    expect(res.status).toBe(400);
  });

  it('lets only admins change settings, and keeps organizations apart', async () => {
    expect(
      (await apiCall(t.base, tokens['operator@a'], 'PUT', '/organization/tracker-settings', { uploadBatchSize: 10 }))
        .status,
    ).toBe(403);
    expect(
      (await apiCall(t.base, tokens['admin@b'], 'GET', `/vehicles/${vehicle.vehicle.id}/tracker-settings`)).status,
    ).toBe(404);
    expect(
      (
        await apiCall(t.base, tokens['admin@b'], 'PUT', `/vehicles/${vehicle.vehicle.id}/tracker-settings`, {
          uploadBatchSize: 10,
        })
      ).status,
    ).toBe(404);
    const b = TrackerSettingsLevel.parse(
      await (await apiCall(t.base, tokens['admin@b'], 'GET', '/organization/tracker-settings')).json(),
    );
    expect(b.effective).toEqual(DEFAULT_TRACKER_SETTINGS);
  });

  it('answers 401 without or with an unknown device token, 403 for a disabled device', async () => {
    expect((await deviceSettings(undefined)).status).toBe(401);
    expect((await deviceSettings('not-a-device-token')).status).toBe(401);
    // A user's access token is not a device token.
    expect((await deviceSettings(tokens['admin@a'])).status).toBe(401);
    const other = VehicleWithToken.parse(
      await (await apiCall(t.base, tokens['admin@a'], 'POST', '/vehicles', { name: 'Off' })).json(),
    );
    await pool.query('UPDATE vehicles SET device_disabled_at = now() WHERE id = $1', [other.vehicle.id]);
    expect((await deviceSettings(other.deviceToken)).status).toBe(403);
  });
});

describe('push tokens', () => {
  jest.setTimeout(30_000);
  const token = 'ExponentPushToken[api-test-1]';

  it('registers a token with its event types and language, updates it, and moves it to whoever registers it last', async () => {
    const first = await apiCall(t.base, tokens['viewer@a'], 'POST', '/push-tokens', {
      token,
      eventTypes: ['overspeed', 'geofence_enter', 'overspeed'],
      language: 'es',
    });
    expect(first.status).toBe(200);
    expect(PushTokenRegistered.parse(await first.json())).toMatchObject({
      token,
      eventTypes: ['overspeed', 'geofence_enter'],
      language: 'es',
    });
    await apiCall(t.base, tokens['admin@a'], 'POST', '/push-tokens', { token, eventTypes: ['device_offline'] });
    const rows = await pool.query(
      'SELECT u.email, p.event_types, p.language FROM push_tokens p JOIN users u ON u.id = p.user_id WHERE token = $1',
      [token],
    );
    expect(rows.rows).toEqual([{ email: 'admin@a.example', event_types: ['device_offline'], language: 'en' }]);
  });

  it('unregisters only the caller’s own registration', async () => {
    // Someone else's delete changes nothing.
    expect((await apiCall(t.base, tokens['viewer@a'], 'DELETE', '/push-tokens', { token })).status).toBe(204);
    expect((await pool.query('SELECT 1 FROM push_tokens WHERE token = $1', [token])).rowCount).toBe(1);
    expect((await apiCall(t.base, tokens['admin@a'], 'DELETE', '/push-tokens', { token })).status).toBe(204);
    expect((await pool.query('SELECT 1 FROM push_tokens WHERE token = $1', [token])).rowCount).toBe(0);
  });

  it('forgets a user’s phones when their sessions end: demoted, or their password changed', async () => {
    const registered = async (user: string) =>
      (
        await pool.query(
          'SELECT p.token FROM push_tokens p JOIN users u ON u.id = p.user_id WHERE u.email = $1 ORDER BY p.token',
          [user],
        )
      ).rows.map((r: { token: string }) => r.token);
    for (const [user, phone] of [
      ['operator@a', 'ExponentPushToken[operator-phone]'],
      ['viewer@b', 'ExponentPushToken[viewer-phone]'],
    ]) {
      const res = await apiCall(t.base, tokens[user], 'POST', '/push-tokens', {
        token: phone,
        eventTypes: ['overspeed'],
      });
      expect(res.status).toBe(200);
    }
    const operator = (await pool.query("SELECT id FROM users WHERE email = 'operator@a.example'")).rows[0].id as string;
    // A rename ends no session and keeps the phone; a demotion ends them and forgets it.
    await apiCall(t.base, tokens['admin@a'], 'PATCH', `/users/${operator}`, { name: 'Olga' });
    expect(await registered('operator@a.example')).toEqual(['ExponentPushToken[operator-phone]']);
    expect((await apiCall(t.base, tokens['admin@a'], 'PATCH', `/users/${operator}`, { role: 'viewer' })).status).toBe(
      200,
    );
    expect(await registered('operator@a.example')).toEqual([]);
    // A password change signs the user out everywhere, their phone included.
    const changed = await apiCall(t.base, tokens['viewer@b'], 'POST', '/auth/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'another-long-password-2',
    });
    expect(changed.status).toBe(200);
    expect(await registered('viewer@b.example')).toEqual([]);
  });

  it('refuses tokens that are not Expo push tokens, unknown event types, and anonymous callers', async () => {
    for (const body of [
      { token: 'not-a-token', eventTypes: [] },
      { token, eventTypes: ['device_online'] },
      { token, eventTypes: [], language: 'fr' },
    ])
      expect((await apiCall(t.base, tokens['viewer@a'], 'POST', '/push-tokens', body)).status).toBe(400);
    expect((await apiCall(t.base, undefined, 'POST', '/push-tokens', { token, eventTypes: [] })).status).toBe(401);
  });
});
