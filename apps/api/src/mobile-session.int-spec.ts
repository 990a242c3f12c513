import { ApiError, FleetApi } from '@fleet/api-client';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { seedOrganizations, TEST_PASSWORD } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

/**
 * The mobile app's session against the real API: the refresh token travels in the body (client
 * `mobile`), a call answered 401 renews the session once and is sent again, and a session that cannot
 * be renewed ends with the 401 (one renewal attempt, no loop). The app's own session module runs the
 * same client calls (apps/mobile/src/session/dispatcher-session.ts; its screens are tested against a
 * fake server in apps/mobile/src/dispatcher/Dispatcher.spec.tsx).
 */

let testDb: TestDatabase;
let t: StartedApi;

beforeAll(async () => {
  testDb = await createTestDatabase('api-mobile-session');
  await seedOrganizations(testDb.url, ['m']);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:mobile-session:${process.pid}:` });
});
afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

/** A client wired as the app wires it: the access token in memory, the refresh token kept aside. */
function mobileClient() {
  const state = { access: undefined as string | undefined, refresh: undefined as string | undefined, renewals: 0 };
  const api: FleetApi = new FleetApi({
    baseUrl: t.base,
    getToken: () => state.access,
    onUnauthorized: async () => {
      state.renewals++;
      if (!state.refresh) return false;
      try {
        const renewed = await api.refreshSession({ body: { refreshToken: state.refresh, client: 'mobile' } });
        state.access = renewed.accessToken;
        state.refresh = renewed.refreshToken;
        return true;
      } catch {
        return false;
      }
    },
  });
  return { api, state };
}

async function signIn(client: ReturnType<typeof mobileClient>) {
  const session = await client.api.login({
    body: { email: 'operator@m.example', password: TEST_PASSWORD, client: 'mobile' },
  });
  expect(session.refreshToken).toBeDefined();
  client.state.access = session.accessToken;
  client.state.refresh = session.refreshToken;
}

describe('mobile session against the API', () => {
  jest.setTimeout(30_000);

  it('renews once on a 401 (the refresh token in the body, rotated) and sends the call again', async () => {
    const client = mobileClient();
    await signIn(client);
    const firstRefresh = client.state.refresh;
    // The access token stops being accepted (as when it expires): its signature no longer matches.
    const token = client.state.access!;
    client.state.access = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;

    const page = await client.api.listVehicles({ query: { limit: 5 } });
    expect(page.total).toBe(0);
    expect(client.state.renewals).toBe(1);
    expect(client.state.refresh).toBeDefined();
    expect(client.state.refresh).not.toBe(firstRefresh);
    // The renewed token works on its own: no further renewal.
    await client.api.me();
    expect(client.state.renewals).toBe(1);
  });

  it('ends with the 401 after one renewal attempt when the session is gone', async () => {
    const client = mobileClient();
    await signIn(client);
    await client.api.logout({ body: { refreshToken: client.state.refresh } });
    client.state.access = 'not-a-token';

    const refused = await client.api.me().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(client.state.renewals).toBe(1);
  });
});
