import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import { AppState, type AppStateStatus } from 'react-native';
import { App } from '../app/App';
import { memoryMode } from '../app/mode';
import { memoryPreferences } from '../storage/preferences';
import { memoryPushChoice, type PushService } from './push';
import { fakeServer, type FakeVehicle } from './testing/fake-server';

jest.mock('expo-localization', () => ({
  getLocales: () => [{ languageCode: 'en' }],
  useLocales: () => [{ languageCode: 'en' }],
}));
// The phone's push service is the fake PushService passed to the app; the native module stays out.
jest.mock('expo-notifications', () => ({}));

const LABELS = {
  en: { email: 'E-mail', password: 'Password', submit: 'Sign in', settings: 'Settings' },
  es: { email: 'Correo electrónico', password: 'Contraseña', submit: 'Iniciar sesión', settings: 'Ajustes' },
};

const VAN_1 = '11111111-1111-4111-8111-111111111111';
const VAN_2 = '22222222-2222-4222-8222-222222222222';
const TRUCK = '33333333-3333-4333-8333-333333333333';
const PUSH_TOKEN = 'ExponentPushToken[abc123]';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function vehicles(): FakeVehicle[] {
  return [
    { vehicleId: VAN_1, name: 'Van 1', ts: minutesAgo(1), lat: 40.4, lon: -3.7, speedKmh: 42 },
    { vehicleId: VAN_2, name: 'Van 2', ts: minutesAgo(25), lat: 40.5, lon: -3.6, speedKmh: 0 },
    { vehicleId: TRUCK, name: 'Camión grande', ts: minutesAgo(3), lat: 40.6, lon: -3.5, speedKmh: 0 },
  ];
}

async function signIn(options: { push?: PushService; language?: 'en' | 'es' } = {}) {
  const server = fakeServer({ vehicles: vehicles() });
  const preferences = memoryPreferences({ serverUrl: 'https://fleet.example.test' });
  const pushChoice = memoryPushChoice(['overspeed', 'device_offline']);
  const push: PushService = options.push ?? { obtainToken: jest.fn(async () => PUSH_TOKEN) };
  const view = render(
    <App
      preferences={preferences}
      fetch={server.impl}
      modeStore={memoryMode('dispatcher')}
      resumeTracking={async () => undefined}
      push={push}
      pushChoice={pushChoice}
      language={options.language ?? 'en'}
    />,
  );
  const labels = LABELS[options.language ?? 'en'];
  fireEvent.changeText(await screen.findByLabelText(labels.email), 'dispatch@example.com');
  fireEvent.changeText(screen.getByLabelText(labels.password), 'correct horse battery');
  fireEvent.press(screen.getByText(labels.submit));
  await screen.findByText('Van 1');
  return { server, preferences, pushChoice, push, view };
}

const statusText = (vehicleId: string) => screen.getByTestId(`status-${vehicleId}`);

describe('dispatcher', () => {
  afterEach(() => jest.restoreAllMocks());

  it('signs in and lists every vehicle with its status and the age of its last fix', async () => {
    const { server, preferences } = await signIn();
    expect(server.requests('POST /api/v1/auth/login')[0]?.body).toMatchObject({ client: 'mobile' });
    expect(preferences.values.refreshToken).toBe('refresh-2');
    expect(statusText(VAN_1)).toHaveTextContent('Moving · 1 min ago · 42 km/h');
    expect(statusText(VAN_2)).toHaveTextContent('Offline · 25 min ago');
    expect(statusText(TRUCK)).toHaveTextContent('Stopped · 3 min ago');
    // The live stream is opened with the access token as a Bearer header.
    await waitFor(() => expect(server.state.live).toHaveLength(1));
    expect(server.state.live[0]?.headers['authorization']).toBe('Bearer access-1');
  });

  it('filters the list by name as the user types, ignoring case and accents', async () => {
    await signIn();
    fireEvent.changeText(screen.getByLabelText('Search vehicles'), 'van');
    expect(screen.getByText('Van 1')).toBeTruthy();
    expect(screen.getByText('Van 2')).toBeTruthy();
    expect(screen.queryByText('Camión grande')).toBeNull();
    fireEvent.changeText(screen.getByLabelText('Search vehicles'), 'CAMION');
    expect(screen.getByText('Camión grande')).toBeTruthy();
    expect(screen.queryByText('Van 1')).toBeNull();
    fireEvent.changeText(screen.getByLabelText('Search vehicles'), 'bus');
    expect(screen.getByText('No vehicle matches.')).toBeTruthy();
  });

  it('applies a live position: an offline vehicle becomes moving with a fresh fix', async () => {
    const { server } = await signIn();
    await waitFor(() => expect(server.state.live).toHaveLength(1));
    expect(statusText(VAN_2)).toHaveTextContent('Offline · 25 min ago');
    const fix = {
      vehicleId: VAN_2,
      ts: new Date().toISOString(),
      lat: 40.51,
      lon: -3.61,
      speedKmh: 55,
      heading: 90,
      altitude: null,
      accuracy: 5,
      battery: null,
      attributes: null,
    };
    await act(async () => {
      server.state.live[0]?.write(`id: 7-0\nevent: position\ndata: ${JSON.stringify(fix)}\n\n`);
    });
    await waitFor(() => expect(statusText(VAN_2)).toHaveTextContent(/^Moving · \d+ s ago · 55 km\/h$/));
    // An older fix arriving late does not move it back.
    await act(async () => {
      server.state.live[0]?.write(
        `id: 8-0\nevent: position\ndata: ${JSON.stringify({ ...fix, ts: minutesAgo(30), speedKmh: 0 })}\n\n`,
      );
    });
    expect(statusText(VAN_2)).toHaveTextContent(/^Moving/);
  });

  it('reloads the latest positions when the stream says resync', async () => {
    const { server } = await signIn();
    await waitFor(() => expect(server.state.live).toHaveLength(1));
    const loads = server.requests('GET /api/v1/positions/latest').length;
    server.state.vehicles = server.state.vehicles.map((v) =>
      v.vehicleId === VAN_2 ? { ...v, ts: new Date().toISOString(), speedKmh: 0 } : v,
    );
    await act(async () => server.state.live[0]?.write('event: resync\ndata: {}\n\n'));
    await waitFor(() => expect(statusText(VAN_2)).toHaveTextContent(/^Stopped · \d+ s ago$/));
    expect(server.requests('GET /api/v1/positions/latest').length).toBe(loads + 1);
  });

  it('renews the access token when the stream says expired, and reconnects with it and Last-Event-ID', async () => {
    const { server } = await signIn();
    await waitFor(() => expect(server.state.live).toHaveLength(1));
    server.expireAccessTokens();
    await act(async () => {
      server.state.live[0]?.write('id: 9-0\nevent: position\ndata: {}\n\nevent: expired\ndata: {}\n\n');
      server.state.live[0]?.end();
    });
    await waitFor(() => expect(server.state.live).toHaveLength(2), { timeout: 4000 });
    expect(server.requests('POST /api/v1/auth/refresh')).toHaveLength(1);
    expect(server.state.live[1]?.headers['authorization']).toBe('Bearer access-2');
    expect(server.state.live[1]?.headers['last-event-id']).toBe('9-0');
  });

  it('closes the stream in the background and reopens it (with a fresh list) in the foreground', async () => {
    const listeners: Array<(s: AppStateStatus) => void> = [];
    jest.spyOn(AppState, 'addEventListener').mockImplementation((type, listener) => {
      if (type === 'change') listeners.push(listener as (s: AppStateStatus) => void);
      return { remove: () => undefined };
    });
    const { server } = await signIn();
    await waitFor(() => expect(server.state.live).toHaveLength(1));
    const loads = server.requests('GET /api/v1/positions/latest').length;
    act(() => listeners.forEach((l) => l('background')));
    expect(server.state.live[0]?.aborted()).toBe(true);
    act(() => listeners.forEach((l) => l('active')));
    await waitFor(() => expect(server.state.live).toHaveLength(2));
    await waitFor(() => expect(server.requests('GET /api/v1/positions/latest').length).toBeGreaterThan(loads));
  });

  it('renews an expired access token once on a 401 and retries the dispatcher’s calls', async () => {
    const { server, preferences } = await signIn();
    server.expireAccessTokens();
    fireEvent.press(screen.getByText('Van 2'));
    // Trips, stops and events all get a 401 together: one renewal serves them all.
    expect(await screen.findByText('No trip today.')).toBeTruthy();
    expect(screen.getByText('No stop today.')).toBeTruthy();
    expect(screen.getByText('No events.')).toBeTruthy();
    expect(server.requests('POST /api/v1/auth/refresh')).toHaveLength(1);
    expect(server.requests('POST /api/v1/auth/refresh')[0]?.body).toEqual({
      refreshToken: 'refresh-2',
      client: 'mobile',
    });
    const trips = server.requests(`GET /api/v1/vehicles/${VAN_2}/trips`);
    expect(trips.map((r) => r.headers['authorization'])).toEqual(['Bearer access-1', 'Bearer access-2']);
    expect(trips[1]?.path).toMatch(/from=.*&to=/);
    expect(preferences.values.refreshToken).toBe('refresh-3');
  });

  it('goes back to sign-in when the refresh token is refused', async () => {
    const { server, preferences } = await signIn();
    server.expireAccessTokens();
    server.state.refreshTokens.clear();
    fireEvent.press(screen.getByText('Van 2'));
    expect(await screen.findByLabelText('Password')).toBeTruthy();
    expect(preferences.values.refreshToken).toBeUndefined();
  });

  it('registers the push token with the chosen event types and the phone’s language, and updates them', async () => {
    const { server, pushChoice } = await signIn({ language: 'es' });
    await waitFor(() => expect(server.state.pushTokens.get(PUSH_TOKEN)).toBeTruthy());
    expect(server.state.pushTokens.get(PUSH_TOKEN)).toEqual({
      eventTypes: ['overspeed', 'device_offline'],
      language: 'es',
    });
    fireEvent.press(screen.getByText('Ajustes'));
    fireEvent(screen.getByLabelText('Entradas en geocercas'), 'valueChange', true);
    await waitFor(() =>
      expect(server.state.pushTokens.get(PUSH_TOKEN)?.eventTypes).toEqual([
        'geofence_enter',
        'overspeed',
        'device_offline',
      ]),
    );
    expect(pushChoice.types).toEqual(['geofence_enter', 'overspeed', 'device_offline']);
    // Maintenance due and driver changes can be chosen too (the server words them: worker push/text.ts).
    fireEvent(screen.getByLabelText('Mantenimiento pendiente'), 'valueChange', true);
    fireEvent(screen.getByLabelText('Cambios de conductor'), 'valueChange', true);
    await waitFor(() =>
      expect(server.state.pushTokens.get(PUSH_TOKEN)?.eventTypes).toEqual([
        'geofence_enter',
        'overspeed',
        'device_offline',
        'maintenance_due',
        'driver_changed',
      ]),
    );
    fireEvent(screen.getByLabelText('Cambios de conductor'), 'valueChange', false);
    await waitFor(() =>
      expect(pushChoice.types).toEqual(['geofence_enter', 'overspeed', 'device_offline', 'maintenance_due']),
    );
  });

  it('signs out: unregisters the push token, revokes the refresh token and shows sign-in again', async () => {
    const { server, preferences } = await signIn();
    await waitFor(() => expect(server.state.pushTokens.has(PUSH_TOKEN)).toBe(true));
    fireEvent.press(screen.getByText('Settings'));
    fireEvent.press(screen.getByText('Sign out'));
    expect(await screen.findByLabelText('Password')).toBeTruthy();
    expect(server.requests('DELETE /api/v1/push-tokens')[0]?.body).toEqual({ token: PUSH_TOKEN });
    expect(server.state.pushTokens.has(PUSH_TOKEN)).toBe(false);
    expect(server.requests('POST /api/v1/auth/logout')[0]?.body).toEqual({
      refreshToken: 'refresh-2',
      client: 'mobile',
    });
    expect(preferences.values.refreshToken).toBeUndefined();
  });

  it('registers nothing when the user refuses notifications, and says so in the settings', async () => {
    const { server } = await signIn({ push: { obtainToken: async () => null } });
    fireEvent.press(screen.getByText('Settings'));
    expect(await screen.findByText(/Notifications are turned off/)).toBeTruthy();
    expect(server.requests('POST /api/v1/push-tokens')).toHaveLength(0);
    fireEvent.press(screen.getByText('Sign out'));
    await screen.findByLabelText('Password');
    expect(server.requests('DELETE /api/v1/push-tokens')).toHaveLength(0);
  });

  it('signs back in at launch with the refresh token kept from the last session', async () => {
    const server = fakeServer({ vehicles: vehicles() });
    const preferences = memoryPreferences({ serverUrl: 'https://fleet.example.test', refreshToken: 'refresh-1' });
    render(
      <App
        preferences={preferences}
        fetch={server.impl}
        modeStore={memoryMode('dispatcher')}
        resumeTracking={async () => undefined}
        push={{ obtainToken: async () => null }}
        pushChoice={memoryPushChoice()}
        language="en"
      />,
    );
    expect(await screen.findByText('Van 1')).toBeTruthy();
    expect(server.requests('POST /api/v1/auth/login')).toHaveLength(0);
    expect(preferences.values.refreshToken).toBe('refresh-2');
  });
});
