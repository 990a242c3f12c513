import { SqlJsDatabase } from '@fleet/tracker/testing';
import * as BackgroundTask from 'expo-background-task';
import * as Location from 'expo-location';
import { resumeTrackingOnLaunch } from './launch';
import { LOCATION_TASK } from './location-task';
import { configureRuntime, getTracker } from './runtime';
import { DriverStore, memoryKeyValue } from './store';
import { accepted, PROVISIONING, scriptedServer } from './testing/helpers';
import { UPLOAD_TASK } from './upload-task';

jest.mock('expo-task-manager', () => ({ defineTask: jest.fn() }));
jest.mock('expo-background-task', () => ({
  ...jest.requireActual('expo-background-task/build/BackgroundTask.types'),
  getStatusAsync: jest.fn(async () => 2), // Available
  registerTaskAsync: jest.fn(async () => undefined),
  unregisterTaskAsync: jest.fn(async () => undefined),
}));
jest.mock('expo-location', () => ({
  Accuracy: { High: 4 },
  ActivityType: { AutomotiveNavigation: 2 },
  getForegroundPermissionsAsync: jest.fn(async () => ({ status: 'granted', canAskAgain: true })),
  getBackgroundPermissionsAsync: jest.fn(async () => ({ status: 'granted', canAskAgain: true })),
  startLocationUpdatesAsync: jest.fn(async () => undefined),
  hasStartedLocationUpdatesAsync: jest.fn(async () => true),
  stopLocationUpdatesAsync: jest.fn(async () => undefined),
}));

// The first test of a file loads sql.js's WebAssembly: slow on a busy machine.
jest.setTimeout(20_000);

const texts = { title: 'Tracking', body: 'On shift' };

/** An AppState stand-in whose changes the test emits. */
function appState() {
  const listeners = new Set<(s: string) => void>();
  return {
    currentState: 'active' as const,
    addEventListener: ((_type: string, fn: (s: string) => void) => {
      listeners.add(fn);
      return { remove: () => listeners.delete(fn) };
    }) as never,
    emit: (next: string) => [...listeners].forEach((fn) => fn(next)),
  };
}

async function phone(values: Record<string, string>) {
  const server = scriptedServer([accepted()]);
  const store = new DriverStore(memoryKeyValue(values));
  configureRuntime({ store, openDatabase: () => SqlJsDatabase.open(), fetch: server.impl, foregroundSettleMs: 0 });
  return { server, store };
}

const fix = (i: number) => ({ ts: new Date(Date.UTC(2026, 11, 6, 8, 0, i)).toISOString(), lat: 40.4, lon: -3.7 });

beforeEach(() => jest.clearAllMocks());

describe('at launch', () => {
  it('with the shift on: registers the updates again, the upload task, and drains now and on each return', async () => {
    const { server } = await phone({ 'driver.provisioning': JSON.stringify(PROVISIONING), 'driver.shift': 'on' });
    const tracker = await getTracker();
    await tracker?.queue.enqueueMany([fix(1), fix(2)]); // left by the last run of the app
    const state = appState();

    expect(await resumeTrackingOnLaunch(texts, { appState: state })).toBe('started');
    // Even though the updates look started: an app update leaves them registered but silent (expo #47595).
    expect(jest.mocked(Location.startLocationUpdatesAsync)).toHaveBeenCalledWith(LOCATION_TASK, expect.anything());
    expect(jest.mocked(BackgroundTask.registerTaskAsync)).toHaveBeenCalledWith(UPLOAD_TASK, { minimumInterval: 15 });
    await waitUntil(async () => (await tracker?.queue.count()) === 0);
    expect(server.batches()).toHaveLength(1);

    // Fixes queued while in the background (Doze, no network) go when the app comes back.
    await tracker?.queue.enqueue(fix(3));
    state.emit('background');
    state.emit('active');
    await waitUntil(async () => (await tracker?.queue.count()) === 0);
    expect(server.batches().map((b) => b.map((p) => p.ts))).toEqual([[fix(1).ts, fix(2).ts], [fix(3).ts]]);
  });

  it('with the shift off: no location updates, but queued fixes are still uploaded', async () => {
    const { server } = await phone({ 'driver.provisioning': JSON.stringify(PROVISIONING), 'driver.shift': 'off' });
    await (await getTracker())?.queue.enqueue(fix(1));
    expect(await resumeTrackingOnLaunch(texts, { appState: appState() })).toBe('off');
    expect(jest.mocked(Location.stopLocationUpdatesAsync)).toHaveBeenCalledWith(LOCATION_TASK);
    expect(jest.mocked(Location.startLocationUpdatesAsync)).not.toHaveBeenCalled();
    expect(jest.mocked(BackgroundTask.registerTaskAsync)).toHaveBeenCalledWith(UPLOAD_TASK, { minimumInterval: 15 });
    await waitUntil(async () => server.batches().length === 1);
  });

  it('on a phone without a setup: removes the upload task and sends nothing', async () => {
    const { server } = await phone({});
    expect(await resumeTrackingOnLaunch(texts, { appState: appState() })).toBe('off');
    await waitUntil(async () => jest.mocked(BackgroundTask.unregisterTaskAsync).mock.calls.length === 1);
    expect(jest.mocked(BackgroundTask.unregisterTaskAsync)).toHaveBeenCalledWith(UPLOAD_TASK);
    expect(jest.mocked(BackgroundTask.registerTaskAsync)).not.toHaveBeenCalled();
    expect(server.sent).toHaveLength(0);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
