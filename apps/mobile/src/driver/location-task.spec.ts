import { DEFAULT_TRACKER_SETTINGS } from '@fleet/contracts';
import * as Location from 'expo-location';
import * as TaskManager from 'expo-task-manager';
import { LOCATION_TASK, onLocationTask, startTracking, stopTracking } from './location-task';
import { fakeServer, location, realTracker } from './testing/helpers';

jest.mock('expo-task-manager', () => ({ defineTask: jest.fn() }));
jest.mock('expo-location', () => ({
  Accuracy: { High: 4 },
  ActivityType: { AutomotiveNavigation: 2 },
  getForegroundPermissionsAsync: jest.fn(),
  getBackgroundPermissionsAsync: jest.fn(),
  startLocationUpdatesAsync: jest.fn(async () => undefined),
  hasStartedLocationUpdatesAsync: jest.fn(async () => true),
  stopLocationUpdatesAsync: jest.fn(async () => undefined),
}));

const mocked = jest.mocked(Location);
// Read before any clearAllMocks: the import above ran defineTask.
const definedAtLoad = jest.mocked(TaskManager.defineTask).mock.calls.map(([name]) => name);
const texts = { title: 'Tracking', body: 'On shift' };

function permissions(foreground: string, background: string) {
  mocked.getForegroundPermissionsAsync.mockResolvedValue({ status: foreground, canAskAgain: true } as never);
  mocked.getBackgroundPermissionsAsync.mockResolvedValue({ status: background, canAskAgain: true } as never);
}

/** An AppState stand-in whose changes the test emits. */
function appState(currentState: 'active' | 'background') {
  const listeners = new Set<(s: string) => void>();
  return {
    currentState,
    addEventListener: ((_type: string, fn: (s: string) => void) => {
      listeners.add(fn);
      return { remove: () => listeners.delete(fn) };
    }) as never,
    emit(next: 'active' | 'background') {
      this.currentState = next;
      for (const fn of [...listeners]) fn(next);
    },
    listeners,
  };
}

beforeEach(() => jest.clearAllMocks());

// The first test of a file loads sql.js's WebAssembly: slow on a busy machine.
jest.setTimeout(20_000);

describe('the location task', () => {
  it('is defined at module load, as the OS relaunches the bundle headless', () => {
    expect(definedAtLoad).toEqual([LOCATION_TASK]);
  });

  it('feeds the queue through the sampler and uploads from the task', async () => {
    const server = fakeServer(202, {});
    const tracker = await realTracker(server.impl);
    const start = Date.now() - 120_000;
    const run = (locations: unknown[]) =>
      onLocationTask({ data: { locations }, error: null, executionInfo: {} as never } as never, async () => tracker);

    // A batch of the OS: the first kept, one 10 m further 2 s later dropped, one 100 m further kept.
    await run([location(start, 0), location(start, 2, 10), location(start, 12, 110)]);
    expect(server.sent).toHaveLength(1);
    const sent = (server.sent[0].body as { positions: Array<{ lat: number; speed: number }> }).positions;
    expect(sent.map((p) => p.lat.toFixed(5))).toEqual(['40.41680', '40.41779']);
    expect(sent[0].speed).toBeCloseTo(36, 5); // 10 m/s → km/h by fromLocation
    expect(server.sent[0].authorization).toBe('Bearer dev_0123456789abcdef');
    expect(await tracker.queue.count()).toBe(0);

    // Within the upload interval the next run only queues.
    await run([location(start, 40, 300)]);
    expect(server.sent).toHaveLength(1);
    expect(await tracker.queue.count()).toBe(1);
  });

  it('records a task error for the diagnostics and queues nothing', async () => {
    const tracker = await realTracker(fakeServer(202).impl);
    await onLocationTask(
      { data: {}, error: { code: 1, message: 'location services off' }, executionInfo: {} as never } as never,
      async () => tracker,
    );
    expect((await tracker.diagnostics()).lastError?.message).toBe('location: location services off');
    expect(await tracker.queue.count()).toBe(0);
  });

  it('does nothing on a phone that is not provisioned', async () => {
    await expect(
      onLocationTask({ data: { locations: [location(Date.now(), 0)] }, error: null } as never, async () => null),
    ).resolves.toBeUndefined();
  });
});

describe('the heartbeat (fake timers)', () => {
  it('queues the parked vehicle’s last place every heartbeatSeconds while nothing else is kept', async () => {
    const server = fakeServer(202, {});
    const tracker = await realTracker(server.impl); // sql.js loaded before the clock is faked
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'],
      now: Date.parse('2026-12-06T10:00:00Z'),
    });
    try {
      const start = Date.now();
      await tracker.record([location(start, 0, 0, 0)]);
      tracker.sampler.start();
      expect(await tracker.queue.count()).toBe(1);

      // Parked: the OS's same-place fix 60 s later is not worth a row.
      jest.advanceTimersByTime(60_000);
      expect(await tracker.record([location(start, 60, 0, 0)])).toBe(0);

      jest.advanceTimersByTime(DEFAULT_TRACKER_SETTINGS.heartbeatSeconds * 1000 - 60_000 - 1);
      await tracker.flush();
      expect(await tracker.queue.count()).toBe(1);
      jest.advanceTimersByTime(1);
      await tracker.flush();
      expect(await tracker.queue.count()).toBe(2);

      jest.advanceTimersByTime(DEFAULT_TRACKER_SETTINGS.heartbeatSeconds * 1000);
      await tracker.flush();
      const queued = await tracker.queue.peek(10);
      expect(queued).toHaveLength(3);
      expect(queued[2].fix).toMatchObject({
        lat: 40.4168,
        speed: 0,
        ts: '2026-12-06T10:10:00.000Z',
        attributes: { heartbeat: true },
      });
    } finally {
      tracker.stop();
      jest.useRealTimers();
    }
  });
});

describe('starting the updates', () => {
  const settings = { ...DEFAULT_TRACKER_SETTINGS, timeIntervalSeconds: 20, chargingIntervalSeconds: 10 };

  it('starts only in the foreground: a start asked in the background waits for the return (Android 14+)', async () => {
    permissions('granted', 'granted');
    const state = appState('background');
    expect(await startTracking(settings, texts, state)).toBe('waiting-foreground');
    expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();

    state.emit('active');
    await new Promise((r) => setTimeout(r, 0));
    expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledTimes(1);
    expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledWith(
      LOCATION_TASK,
      expect.objectContaining({
        timeInterval: 10_000,
        distanceInterval: 0,
        pausesUpdatesAutomatically: false,
        foregroundService: { notificationTitle: 'Tracking', notificationBody: 'On shift', killServiceOnDestroy: false },
      }),
    );
    expect(state.listeners.size).toBe(0);
  });

  it('re-registers on every start even when the task looks registered (frozen after an app update)', async () => {
    permissions('granted', 'granted');
    const state = appState('active');
    expect(await startTracking(settings, texts, state)).toBe('started');
    expect(await startTracking(settings, texts, state)).toBe('started');
    expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledTimes(2);
  });

  it('does not start without the background permission', async () => {
    permissions('granted', 'denied');
    expect(await startTracking(settings, texts, appState('active'))).toBe('no-permission');
    expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();
  });

  it('stops the updates and a start still waiting for the foreground', async () => {
    permissions('granted', 'granted');
    const state = appState('background');
    await startTracking(settings, texts, state);
    await stopTracking();
    expect(mocked.stopLocationUpdatesAsync).toHaveBeenCalledWith(LOCATION_TASK);
    state.emit('active');
    await new Promise((r) => setTimeout(r, 0));
    expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();
  });
});
