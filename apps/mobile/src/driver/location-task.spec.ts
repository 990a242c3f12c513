import { DEFAULT_TRACKER_SETTINGS, type PositionInput } from '@fleet/contracts';
import * as Location from 'expo-location';
import * as TaskManager from 'expo-task-manager';
import { FOREGROUND_SETTLE_MS, LOCATION_TASK, onLocationTask, startTracking, stopTracking } from './location-task';
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
      onLocationTask(
        { data: { locations }, error: null, executionInfo: {} as never } as never,
        async () => tracker,
        Date.now,
        async () => ({ battery: 76, charging: false }),
      );

    // A batch of the OS: the first kept, one 10 m further 2 s later dropped, one 100 m further kept.
    await run([location(start, 0), location(start, 2, 10), location(start, 12, 110)]);
    expect(server.sent).toHaveLength(1);
    const sent = (server.sent[0].body as { positions: Array<{ lat: number; speed: number }> }).positions;
    expect(sent.map((p) => p.lat.toFixed(5))).toEqual(['40.41680', '40.41779']);
    expect(sent[0].speed).toBeCloseTo(36, 5); // 10 m/s → km/h by fromLocation
    expect(sent.map((p) => (p as { battery?: number }).battery)).toEqual([76, 76]);
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

  it('reads the battery at each run: its level in every fix, and fixes kept more often while charging', async () => {
    const server = fakeServer(202, {});
    const tracker = await realTracker(server.impl);
    const start = Date.now() - 600_000;
    let power = { battery: 41, charging: false };
    const run = (locations: unknown[]) =>
      onLocationTask(
        { data: { locations }, error: null, executionInfo: {} as never } as never,
        async () => tracker,
        Date.now,
        async () => power,
      );
    /** What the tracker kept: uploaded by the first run, then queued within the upload interval. */
    const kept = async () => [
      ...server.sent.flatMap((s) => (s.body as { positions: PositionInput[] }).positions),
      ...(await tracker.queue.peek(100)).map((q) => q.fix),
    ];
    const at = (seconds: number[]) => seconds.map((s) => new Date(start + s * 1000).toISOString());
    // Creeping in a queue (1.5 m/s, 7.5 m per 5 s): under the distance filter, kept by time alone.
    const slow = (s: number) => location(start, s, s * 1.5, 1.5);
    await run([slow(0), slow(5), slow(10), slow(15), slow(20), slow(25), slow(30)]);
    // On battery: the first, then one per timeIntervalSeconds (30 s by default).
    expect((await kept()).map((f) => f.ts)).toEqual(at([0, 30]));

    power = { battery: 42, charging: true }; // plugged into the cradle
    await run([slow(35), slow(40), slow(45), slow(50)]);
    const fixes = await kept();
    // Charging: one per chargingIntervalSeconds (10 s by default), marked as charging.
    expect(fixes.map((f) => f.ts)).toEqual(at([0, 30, 40, 50]));
    expect(fixes.map((f) => f.battery)).toEqual([41, 41, 42, 42]);
    expect(fixes[3].attributes).toEqual({ charging: true });
    expect(fixes[0].attributes).toBeUndefined();
  });

  it('sends the fix without a battery level when the phone gives none', async () => {
    const server = fakeServer(202, {});
    const tracker = await realTracker(server.impl);
    await onLocationTask(
      { data: { locations: [location(Date.now() - 60_000, 0)] }, error: null } as never,
      async () => tracker,
      Date.now,
      async () => ({ battery: null, charging: false }),
    );
    const [fix] = (server.sent[0].body as { positions: PositionInput[] }).positions;
    expect(fix.lat).toBeCloseTo(40.4168, 6);
    expect(fix).not.toHaveProperty('battery');
  });

  it('does nothing on a phone that is not provisioned', async () => {
    await expect(
      onLocationTask({ data: { locations: [location(Date.now(), 0)] }, error: null } as never, async () => null),
    ).resolves.toBeUndefined();
  });
});

/** Lets the drain a heartbeat started finish: its fetch and SQLite calls are promises, not timers. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

/** The positions the fake server received, in order. */
const uploaded = (server: ReturnType<typeof fakeServer>) =>
  server.sent.flatMap((s) => (s.body as { positions: PositionInput[] }).positions);

describe('the heartbeat (fake timers)', () => {
  it('sends the parked vehicle’s last place every heartbeatSeconds while nothing else is kept, without waiting for the upload interval', async () => {
    const server = fakeServer(202, {});
    const tracker = await realTracker(server.impl); // sql.js loaded before the clock is faked
    // Uploads an hour apart (the API allows it): the heartbeat must still reach the server within
    // heartbeatSeconds, or the server reports the parked vehicle offline after DEVICE_OFFLINE_MINUTES.
    tracker.apply({ ...DEFAULT_TRACKER_SETTINGS, uploadIntervalSeconds: 3_600 });
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'],
      now: Date.parse('2026-12-06T10:00:00Z'),
    });
    try {
      const start = Date.now();
      await tracker.record([location(start, 0, 0, 0)]);
      await tracker.maybeDrain();
      tracker.sampler.start();
      expect(uploaded(server)).toHaveLength(1);

      // Parked: the OS's same-place fix 60 s later is not worth a row, and nothing is due.
      jest.advanceTimersByTime(60_000);
      expect(await tracker.record([location(start, 60, 0, 0)])).toBe(0);
      expect(await tracker.maybeDrain()).toBeNull();

      jest.advanceTimersByTime(DEFAULT_TRACKER_SETTINGS.heartbeatSeconds * 1000 - 60_000 - 1);
      await tracker.flush();
      expect(uploaded(server)).toHaveLength(1);
      jest.advanceTimersByTime(1);
      await until(() => uploaded(server).length === 2);
      expect(uploaded(server)[1]).toMatchObject({
        lat: 40.4168,
        speed: 0,
        ts: '2026-12-06T10:05:00.000Z',
        attributes: { heartbeat: true },
      });

      jest.advanceTimersByTime(DEFAULT_TRACKER_SETTINGS.heartbeatSeconds * 1000);
      await until(() => uploaded(server).length === 3);
      expect(uploaded(server)[2]).toMatchObject({ ts: '2026-12-06T10:10:00.000Z', attributes: { heartbeat: true } });
      expect(await tracker.queue.count()).toBe(0);
    } finally {
      tracker.stop();
      jest.useRealTimers();
    }
  });

  it('in the background: the location task uploads the OS’s fix kept as a heartbeat at once, whatever the upload interval', async () => {
    const server = fakeServer(202, {});
    const tracker = await realTracker(server.impl);
    tracker.apply({ ...DEFAULT_TRACKER_SETTINGS, uploadIntervalSeconds: 3_600 });
    const start = Date.now() - 3_600_000;
    const run = (seconds: number[]) =>
      onLocationTask(
        { data: { locations: seconds.map((s) => location(start, s, 0, 0)) }, error: null } as never,
        async () => tracker,
        Date.now,
        async () => ({ battery: 80, charging: false }),
      );
    await run([0]); // the first fix, and the first upload
    // Parked, the OS wakes the task every 10 s: nothing kept, nothing sent for the next hour.
    await run(Array.from({ length: 29 }, (_, i) => 10 + i * 10));
    expect(uploaded(server).map((f) => f.ts)).toEqual([new Date(start).toISOString()]);
    // heartbeatSeconds after the last kept fix: kept as the heartbeat and sent in the same run.
    await run([DEFAULT_TRACKER_SETTINGS.heartbeatSeconds]);
    expect(uploaded(server).map((f) => f.ts)).toEqual(
      [0, DEFAULT_TRACKER_SETTINGS.heartbeatSeconds].map((s) => new Date(start + s * 1000).toISOString()),
    );
    expect(await tracker.queue.count()).toBe(0);
  });
});

describe('starting the updates', () => {
  const settings = { ...DEFAULT_TRACKER_SETTINGS, timeIntervalSeconds: 20, chargingIntervalSeconds: 10 };

  it('starts only in the foreground: a start asked in the background waits for the return (Android 14+)', async () => {
    permissions('granted', 'granted');
    const state = appState('background');
    expect(await startTracking(settings, texts, state, 0)).toBe('waiting-foreground');
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
    expect(await startTracking(settings, texts, state, 0)).toBe('started');
    expect(await startTracking(settings, texts, state, 0)).toBe('started');
    expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledTimes(2);
  });

  it('does not start without the background permission', async () => {
    permissions('granted', 'denied');
    expect(await startTracking(settings, texts, appState('active'), 0)).toBe('no-permission');
    expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();
  });

  it('stops the updates and a start still waiting for the foreground', async () => {
    permissions('granted', 'granted');
    const state = appState('background');
    await startTracking(settings, texts, state, 0);
    await stopTracking();
    expect(mocked.stopLocationUpdatesAsync).toHaveBeenCalledWith(LOCATION_TASK);
    state.emit('active');
    await new Promise((r) => setTimeout(r, 0));
    expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();
  });

  describe('after the foreground settles (expo #49424, fake timers)', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
    afterEach(() => jest.useRealTimers());
    const flush = () => new Promise((r) => setImmediate(r));

    it('starts only once the app has stayed in the foreground FOREGROUND_SETTLE_MS', async () => {
      permissions('granted', 'granted');
      const state = appState('active');
      const result = startTracking(settings, texts, state);
      await flush();
      jest.advanceTimersByTime(FOREGROUND_SETTLE_MS - 1);
      await flush();
      expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(await result).toBe('started');
      expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledTimes(1);
      expect(state.listeners.size).toBe(0);
    });

    it('does not start when the app leaves during the settle time (the return from the settings page), and starts after the next return', async () => {
      permissions('granted', 'granted');
      const state = appState('active');
      const result = startTracking(settings, texts, state);
      await flush();
      jest.advanceTimersByTime(300);
      state.emit('background');
      expect(await result).toBe('waiting-foreground');
      jest.advanceTimersByTime(10 * FOREGROUND_SETTLE_MS);
      await flush();
      expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();

      state.emit('active');
      await flush();
      jest.advanceTimersByTime(FOREGROUND_SETTLE_MS);
      await flush();
      await flush();
      expect(mocked.startLocationUpdatesAsync).toHaveBeenCalledTimes(1);
    });

    it('does not start when the shift is turned off during the settle time', async () => {
      permissions('granted', 'granted');
      const state = appState('active');
      const result = startTracking(settings, texts, state);
      await flush();
      await stopTracking();
      jest.advanceTimersByTime(FOREGROUND_SETTLE_MS);
      expect(await result).toBe('superseded');
      expect(mocked.startLocationUpdatesAsync).not.toHaveBeenCalled();
    });
  });
});
