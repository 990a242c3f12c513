import type { PositionInput } from '@fleet/contracts';
import { memoryPersistence, SqlJsDatabase } from '@fleet/tracker/testing';
import * as BackgroundTask from 'expo-background-task';
import * as TaskManager from 'expo-task-manager';
import { configureRuntime, getTracker } from './runtime';
import { DriverStore, memoryKeyValue } from './store';
import { accepted, PROVISIONING, realTracker, refused, scriptedServer } from './testing/helpers';
import {
  onUploadTask,
  registerUploadTask,
  UPLOAD_TASK,
  UPLOAD_TASK_BUDGET_MS,
  UPLOAD_TASK_INTERVAL_MINUTES,
} from './upload-task';

jest.mock('expo-task-manager', () => ({ defineTask: jest.fn() }));
jest.mock('expo-background-task', () => ({
  ...jest.requireActual('expo-background-task/build/BackgroundTask.types'),
  getStatusAsync: jest.fn(),
  registerTaskAsync: jest.fn(async () => undefined),
  unregisterTaskAsync: jest.fn(async () => undefined),
  addExpirationListener: jest.fn(() => ({ remove: jest.fn() })),
}));

const { Success, Failed } = BackgroundTask.BackgroundTaskResult;
const mocked = jest.mocked(BackgroundTask);
// Read before any clearAllMocks: the import above ran defineTask.
const defined = jest.mocked(TaskManager.defineTask).mock.calls.map(([name, executor]) => ({ name, executor }));

// The first test of a file loads sql.js's WebAssembly: slow on a busy machine.
jest.setTimeout(20_000);

const T0 = Date.parse('2026-12-06T09:00:00Z');
/** Fixes recorded earlier (the shift, then the phone parked in Doze or the app killed). */
const fixes = (n: number): PositionInput[] =>
  Array.from({ length: n }, (_, i) => ({ ts: new Date(T0 + i * 5000).toISOString(), lat: 40.4 + i / 1e5, lon: -3.7 }));

beforeEach(() => jest.clearAllMocks());

describe('the background upload task', () => {
  it('is defined at module load, as the OS runs the bundle headless for it', () => {
    expect(defined.map((d) => d.name)).toContain(UPLOAD_TASK);
  });

  it('uploads the queued fixes with the uploader, without a location, and reports Success', async () => {
    const server = scriptedServer([accepted()]);
    const tracker = await realTracker(server.impl);
    await tracker.queue.enqueueMany(fixes(1200));

    expect(await onUploadTask(async () => tracker)).toBe(Success);
    // Batches of the settings' uploadBatchSize (500 by default).
    expect(server.batches().map((b) => b.length)).toEqual([500, 500, 200]);
    expect(server.sent[0].authorization).toBe(`Bearer ${PROVISIONING.deviceToken}`);
    expect(await tracker.queue.count()).toBe(0);
  });

  it('uploads, from a fresh process, what a killed app left in the queue file', async () => {
    const persistence = memoryPersistence();
    const before = await realTracker(scriptedServer([new Error('offline')]).impl, persistence);
    await before.queue.enqueueMany(fixes(30));
    // The app is killed (nothing closed); the OS later runs the task in a new JavaScript context.
    const server = scriptedServer([accepted()]);
    const store = new DriverStore(memoryKeyValue({ 'driver.provisioning': JSON.stringify(PROVISIONING) }));
    configureRuntime({ store, openDatabase: () => SqlJsDatabase.open(persistence), fetch: server.impl });

    expect(await onUploadTask()).toBe(Success);
    expect(server.batches()).toHaveLength(1);
    expect(server.batches()[0].map((p) => p.ts)).toEqual(fixes(30).map((f) => f.ts));
    expect(await (await getTracker())?.queue.count()).toBe(0);
  });

  it('leaves the fixes queued and reports Failed when the server asks to come back later', async () => {
    const server = scriptedServer([{ status: 503, headers: { 'retry-after': '120' } }]);
    const tracker = await realTracker(server.impl);
    await tracker.queue.enqueueMany(fixes(10));

    // 120 s is past the run's budget: the run ends rather than wait.
    expect(await onUploadTask(async () => tracker)).toBe(Failed);
    expect(server.batches()).toHaveLength(1);
    expect(await tracker.queue.count()).toBe(10);
  });

  it('leaves the fixes queued when the network fails until the budget is spent, and sends them on a later run', async () => {
    const answers = scriptedServer([new Error('Network request failed')]);
    let reachable = false;
    const tracker = await realTracker(async (input, init) => (reachable ? accepted202() : answers.impl(input, init)));
    await tracker.queue.enqueueMany(fixes(10));

    // A run with 100 ms left: the first backoff wait (≥ 500 ms) does not fit.
    const almostSpent = () => Date.now() - UPLOAD_TASK_BUDGET_MS + 100;
    expect(await onUploadTask(async () => tracker, almostSpent)).toBe(Failed);
    expect(await tracker.queue.count()).toBe(10);
    expect((await tracker.diagnostics()).upload.lastError?.message).toMatch(/Network request failed/);

    reachable = true;
    expect(await onUploadTask(async () => tracker)).toBe(Success);
    expect(await tracker.queue.count()).toBe(0);
  });

  it('deletes nothing and reports Failed when the device token was revoked', async () => {
    const server = scriptedServer([refused(401, 'unauthorized')]);
    const tracker = await realTracker(server.impl);
    await tracker.queue.enqueueMany(fixes(5));
    expect(await onUploadTask(async () => tracker)).toBe(Failed);
    expect(await tracker.queue.count()).toBe(5);
  });

  it('quarantines the fix the server refuses and delivers the rest (Success)', async () => {
    const server = scriptedServer([
      refused(400, 'validation_failed', [{ path: 'positions.1.ts', message: 'is in the future' }]),
      accepted(),
    ]);
    const tracker = await realTracker(server.impl);
    await tracker.queue.enqueueMany(fixes(3));

    expect(await onUploadTask(async () => tracker)).toBe(Success);
    expect(server.batches().map((b) => b.length)).toEqual([3, 2]);
    expect(await tracker.queue.stats()).toMatchObject({ queued: 0, quarantined: 1 });
    expect((await tracker.queue.quarantined())[0]).toMatchObject({
      fix: fixes(3)[1],
      reason: 'positions.1.ts: is in the future',
    });
  });

  it('does nothing on a phone that is not provisioned (Success: nothing to send)', async () => {
    expect(await onUploadTask(async () => null)).toBe(Success);
  });

  it('stops after the request in flight when iOS ends the run early', async () => {
    let expire: (() => void) | undefined;
    mocked.addExpirationListener.mockImplementation((listener) => {
      expire = listener;
      return { remove: jest.fn() };
    });
    const persistence = memoryPersistence();
    let requests = 0;
    const store = new DriverStore(memoryKeyValue({ 'driver.provisioning': JSON.stringify(PROVISIONING) }));
    configureRuntime({
      store,
      openDatabase: () => SqlJsDatabase.open(persistence),
      fetch: async () => {
        requests++;
        expire?.(); // the system's expiration arrives while the first batch is on its way
        await new Promise((r) => setTimeout(r, 10));
        return accepted202();
      },
    });
    await (await getTracker())?.queue.enqueueMany(fixes(1200));

    const executor = defined.find((d) => d.name === UPLOAD_TASK)?.executor;
    expect(await executor?.({ data: {}, error: null, executionInfo: {} as never })).toBe(Failed);
    expect(requests).toBe(1);
    expect(await (await getTracker())?.queue.count()).toBe(700);
  });
});

describe('registering the upload task', () => {
  it('registers it with the OS every 15 minutes at least, where background tasks are available', async () => {
    mocked.getStatusAsync.mockResolvedValue(BackgroundTask.BackgroundTaskStatus.Available);
    expect(await registerUploadTask()).toBe(true);
    expect(mocked.registerTaskAsync).toHaveBeenCalledWith(UPLOAD_TASK, {
      minimumInterval: UPLOAD_TASK_INTERVAL_MINUTES,
    });
    expect(UPLOAD_TASK_INTERVAL_MINUTES).toBe(15);
  });

  it('registers nothing where they are restricted (Expo Go, the iOS simulator)', async () => {
    mocked.getStatusAsync.mockResolvedValue(BackgroundTask.BackgroundTaskStatus.Restricted);
    expect(await registerUploadTask()).toBe(false);
    expect(mocked.registerTaskAsync).not.toHaveBeenCalled();
  });
});

function accepted202() {
  return new Response(JSON.stringify({ accepted: 1, batchId: 'b', duplicates: 0 }), {
    status: 202,
    headers: { 'content-type': 'application/json' },
  });
}
