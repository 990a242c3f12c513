import { DEFAULT_TRACKER_SETTINGS } from '@fleet/contracts';
import { SqlJsDatabase } from '@fleet/tracker/testing';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import * as Location from 'expo-location';
import { I18nextProvider } from 'react-i18next';
import { AppState } from 'react-native';
import { createI18n } from '../i18n';
import { DriverHome } from './DriverHome';
import { LOCATION_TASK } from './location-task';
import { configureRuntime, getTracker } from './runtime';
import { DriverStore, memoryKeyValue } from './store';
import { fakeServer, PROVISIONING } from './testing/helpers';

jest.mock('expo-task-manager', () => ({ defineTask: jest.fn() }));
jest.mock('expo-camera', () => ({ CameraView: () => null, useCameraPermissions: () => [null, jest.fn()] }));
jest.mock('expo-location', () => ({
  Accuracy: { High: 4 },
  ActivityType: { AutomotiveNavigation: 2 },
  getForegroundPermissionsAsync: jest.fn(),
  getBackgroundPermissionsAsync: jest.fn(),
  requestForegroundPermissionsAsync: jest.fn(),
  requestBackgroundPermissionsAsync: jest.fn(),
  startLocationUpdatesAsync: jest.fn(async () => undefined),
  hasStartedLocationUpdatesAsync: jest.fn(async () => true),
  stopLocationUpdatesAsync: jest.fn(async () => undefined),
}));

// The battery the app listens to in the foreground: the test emits its changes.
const mockBattery = {
  level: 0.55,
  state: 1, // UNPLUGGED
  levelListeners: new Set<(e: { batteryLevel: number }) => void>(),
  stateListeners: new Set<(e: { batteryState: number }) => void>(),
};
jest.mock('expo-battery', () => ({
  BatteryState: { UNKNOWN: 0, UNPLUGGED: 1, CHARGING: 2, FULL: 3, NOT_CHARGING: 4 },
  getBatteryLevelAsync: jest.fn(async () => mockBattery.level),
  getBatteryStateAsync: jest.fn(async () => mockBattery.state),
  addBatteryLevelListener: jest.fn((fn) => {
    mockBattery.levelListeners.add(fn);
    return { remove: () => mockBattery.levelListeners.delete(fn) };
  }),
  addBatteryStateListener: jest.fn((fn) => {
    mockBattery.stateListeners.add(fn);
    return { remove: () => mockBattery.stateListeners.delete(fn) };
  }),
}));

jest.setTimeout(20_000);
const mocked = jest.mocked(Location);
const perms = { foreground: 'granted', background: 'granted' };

beforeEach(() => {
  jest.clearAllMocks();
  // React Native's jest mock leaves currentState a function: the app is open in these tests.
  (AppState as { currentState: string }).currentState = 'active';
  perms.foreground = 'granted';
  perms.background = 'granted';
  mocked.getForegroundPermissionsAsync.mockImplementation(
    async () => ({ status: perms.foreground, canAskAgain: true }) as never,
  );
  mocked.getBackgroundPermissionsAsync.mockImplementation(
    async () => ({ status: perms.background, canAskAgain: true }) as never,
  );
});

async function mount(options: { shiftOn: boolean; serverSettings?: typeof DEFAULT_TRACKER_SETTINGS }) {
  const kv = memoryKeyValue({ 'driver.provisioning': JSON.stringify(PROVISIONING) });
  const store = new DriverStore(kv);
  await store.setShift(options.shiftOn);
  const server = fakeServer(200, {
    vehicleId: PROVISIONING.vehicleId,
    vehicleName: PROVISIONING.vehicleName,
    tracker: options.serverSettings ?? DEFAULT_TRACKER_SETTINGS,
  });
  configureRuntime({ store, openDatabase: () => SqlJsDatabase.open(), fetch: server.impl, foregroundSettleMs: 0 });
  render(
    <I18nextProvider i18n={createI18n('en')}>
      <DriverHome />
    </I18nextProvider>,
  );
  // The first mount loads sql.js's WebAssembly and React Native: seconds on a loaded machine.
  await screen.findByText('Tracker: Truck 7', {}, { timeout: 10_000 });
  return { store, kv, server };
}

describe('driver home', () => {
  it('re-registers the location updates at launch with the shift on, then applies the server’s settings', async () => {
    const serverSettings = { ...DEFAULT_TRACKER_SETTINGS, timeIntervalSeconds: 5, chargingIntervalSeconds: 5 };
    const { kv, server } = await mount({ shiftOn: true, serverSettings });

    await waitFor(() => expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledTimes(2));
    const [first, second] = mocked.startLocationUpdatesAsync.mock.calls as unknown as Array<
      [string, { timeInterval: number }]
    >;
    expect(first[0]).toBe(LOCATION_TASK);
    expect(first[1].timeInterval).toBe(10_000); // the stored (default) settings
    expect(second[1].timeInterval).toBe(5_000); // the server's, without an app update
    expect(server.sent.some((s) => s.url.endsWith('/api/v1/device/settings'))).toBe(true);
    await waitFor(() => expect(JSON.parse(kv.values['driver.settings'])).toEqual(serverSettings));
    expect(screen.getByText('Tracking: fixes are recorded and sent.')).toBeTruthy();
  });

  it('stops the updates when the shift is switched off', async () => {
    const { store } = await mount({ shiftOn: true });
    await waitFor(() => expect(mocked.startLocationUpdatesAsync).toHaveBeenCalled());
    await act(async () => fireEvent(screen.getByLabelText('On shift'), 'valueChange', false));

    await waitFor(() => expect(mocked.stopLocationUpdatesAsync).toHaveBeenCalledWith(LOCATION_TASK));
    expect((await store.load()).shiftOn).toBe(false);
    expect(await screen.findByText('Not tracking.')).toBeTruthy();
  });

  it('guides through the permissions, foreground first, and starts only once both are granted', async () => {
    perms.foreground = 'undetermined';
    perms.background = 'undetermined';
    mocked.requestForegroundPermissionsAsync.mockImplementation(async () => {
      perms.foreground = 'granted';
      return {} as never;
    });
    mocked.requestBackgroundPermissionsAsync.mockImplementation(async () => {
      perms.background = 'granted';
      return {} as never;
    });
    await mount({ shiftOn: true });
    expect(screen.getByText('Location permission is needed to track.')).toBeTruthy();

    fireEvent.press(screen.getByText('Allow while using'));
    fireEvent.press(await screen.findByText('Allow all the time'));
    expect(mocked.requestForegroundPermissionsAsync).toHaveBeenCalledTimes(1);
    expect(mocked.requestBackgroundPermissionsAsync).toHaveBeenCalledTimes(1);
    expect(mocked.requestForegroundPermissionsAsync.mock.invocationCallOrder[0]).toBeLessThan(
      mocked.requestBackgroundPermissionsAsync.mock.invocationCallOrder[0],
    );
    await waitFor(() => expect(mocked.startLocationUpdatesAsync).toHaveBeenCalled());
    expect(await screen.findByText('Tracking: fixes are recorded and sent.')).toBeTruthy();
  });

  it('follows the battery while open: level and charging state as they change, listeners removed with the shift', async () => {
    mockBattery.level = 0.55;
    mockBattery.state = 1;
    await mount({ shiftOn: true });
    const tracker = await getTracker();
    await waitFor(() => expect(tracker?.currentPower).toEqual({ battery: 55, charging: false }));
    expect(mockBattery.stateListeners.size).toBe(1);

    act(() => mockBattery.stateListeners.forEach((fn) => fn({ batteryState: 2 }))); // plugged in
    expect(tracker?.currentPower).toEqual({ battery: 55, charging: true });
    act(() => mockBattery.levelListeners.forEach((fn) => fn({ batteryLevel: 0.561 })));
    expect(tracker?.currentPower).toEqual({ battery: 56, charging: true });
    act(() => mockBattery.stateListeners.forEach((fn) => fn({ batteryState: 4 }))); // held at 80 %, still plugged
    expect(tracker?.currentPower.charging).toBe(true);
    act(() => mockBattery.stateListeners.forEach((fn) => fn({ batteryState: 1 })));
    expect(tracker?.currentPower.charging).toBe(false);

    await act(async () => fireEvent(screen.getByLabelText('On shift'), 'valueChange', false));
    await waitFor(() => expect(mockBattery.stateListeners.size).toBe(0));
    expect(mockBattery.levelListeners.size).toBe(0);
  });
});
