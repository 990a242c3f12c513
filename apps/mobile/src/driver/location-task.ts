import type { TrackerSettings } from '@fleet/contracts';
import type { LocationLike } from '@fleet/tracker';
import * as Location from 'expo-location';
import * as TaskManager from 'expo-task-manager';
import { AppState, type AppStateStatus } from 'react-native';
import { readPower, type Power } from './battery';
import { canTrack, readPermissions } from './permissions';
import { getTracker, runtimeDeps } from './runtime';
import type { DriverTracker } from './tracker';

/** The background location task's name (registered with the OS: renaming it orphans running phones). */
export const LOCATION_TASK = 'fleet-driver-location';

/** How long a task run may spend uploading: iOS gives a background wake about 30 s. */
export const TASK_UPLOAD_BUDGET_MS = 20_000;

export interface NotificationTexts {
  title: string;
  body: string;
}

/**
 * One run of the location task: the battery read (level into each fix, charging into the sampler),
 * the OS's batch of locations through the sampler into the queue, then an upload if the interval has
 * passed (Doze and iOS suspend timers, so the task's own wakes are when the background uploads happen;
 * the background upload task covers the wakes this one does not get).
 */
export async function onLocationTask(
  body: TaskManager.TaskManagerTaskBody<{ locations?: LocationLike[] }>,
  tracker: () => Promise<DriverTracker | null> = getTracker,
  now: () => number = Date.now,
  power: () => Promise<Power> = readPower,
): Promise<void> {
  const t = await tracker();
  if (!t) return;
  if (body.error) {
    t.noteError(`location: ${body.error.message}`);
    return;
  }
  await t.record(body.data?.locations ?? [], await power());
  await t.maybeDrain({ until: now() + TASK_UPLOAD_BUDGET_MS });
}

// At module scope, as expo-task-manager requires: a relaunch by the OS runs the bundle headless and
// must find the task defined before any screen mounts.
TaskManager.defineTask<{ locations?: LocationLike[] }>(LOCATION_TASK, (body) => onLocationTask(body));

/** The OS-side options derived from the server's settings (the sampler does the fine filtering). */
export function locationOptions(settings: TrackerSettings, texts: NotificationTexts): Location.LocationTaskOptions {
  const seconds = Math.min(settings.timeIntervalSeconds, settings.chargingIntervalSeconds, settings.heartbeatSeconds);
  return {
    accuracy: Location.Accuracy.High,
    // No distance filter at the OS: a parked vehicle must still wake the task for its heartbeat.
    distanceInterval: 0,
    timeInterval: seconds * 1000,
    pausesUpdatesAutomatically: false,
    activityType: Location.ActivityType.AutomotiveNavigation,
    showsBackgroundLocationIndicator: true,
    // Android: a foreground service with its notification keeps the process alive with the screen off.
    foregroundService: { notificationTitle: texts.title, notificationBody: texts.body, killServiceOnDestroy: false },
  };
}

export type StartResult = 'started' | 'waiting-foreground' | 'no-permission' | 'superseded';

/**
 * How long the app must have stayed in the foreground before the updates start (expo #49424): the
 * foreground service is promoted only after an asynchronous bind, and Android 14+ kills the app if it
 * left the foreground in between. The likeliest moment is the return from the settings page that
 * grants "Allow all the time": the app is "active" for an instant while the system is still switching.
 */
export const FOREGROUND_SETTLE_MS = 1_000;

export type AppStateLike = { currentState: AppStateStatus | null; addEventListener: typeof AppState.addEventListener };

let pendingStart: { remove(): void } | undefined;
/** Bumped by every start and stop: a start still settling when another call came does nothing. */
let generation = 0;

/** True if the app stays in the foreground for `ms`; false as soon as it leaves. */
function staysActive(appState: AppStateLike, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const subscription = appState.addEventListener('change', (next) => {
      if (next === 'active') return;
      clearTimeout(timer);
      subscription.remove();
      resolve(false);
    });
    const timer = setTimeout(() => {
      subscription.remove();
      resolve(appState.currentState === 'active');
    }, ms);
  });
}

/**
 * Starts (or re-registers) the location updates. Only while the app is in the foreground and the
 * permissions are granted, and only once the app has stayed there FOREGROUND_SETTLE_MS: Android 14+
 * kills an app whose location foreground service is promoted while it is not in the foreground
 * (expo #49424), so a start requested in the background, or interrupted by leaving during the settle
 * time, waits for the next return to the foreground. (The bind after the call cannot be guarded from
 * JavaScript; the settle time keeps the call away from the switches where it happens.)
 */
export async function startTracking(
  settings: TrackerSettings,
  texts: NotificationTexts,
  appState: AppStateLike = AppState,
  settleMs: number = runtimeDeps().foregroundSettleMs ?? FOREGROUND_SETTLE_MS,
): Promise<StartResult> {
  const mine = ++generation;
  if (!canTrack(await readPermissions())) return 'no-permission';
  pendingStart?.remove();
  pendingStart = undefined;
  const waitForForeground = (): StartResult => {
    const subscription = appState.addEventListener('change', (next) => {
      if (next !== 'active') return;
      subscription.remove();
      if (pendingStart === subscription) pendingStart = undefined;
      void startTracking(settings, texts, appState, settleMs);
    });
    pendingStart = subscription;
    return 'waiting-foreground';
  };
  if (appState.currentState !== 'active') return waitForForeground();
  if (settleMs > 0) {
    const stayed = await staysActive(appState, settleMs);
    if (mine !== generation) return 'superseded';
    if (!stayed) return waitForForeground();
  }
  if (mine !== generation) return 'superseded';
  // Called again on every launch with the shift on, even when the task looks registered: after an
  // app update the registration survives but the updates no longer reach the new bundle (expo
  // #47595); registering again from the foreground restarts the updates and the foreground service.
  await Location.startLocationUpdatesAsync(LOCATION_TASK, locationOptions(settings, texts));
  return 'started';
}

export async function stopTracking(): Promise<void> {
  generation++;
  pendingStart?.remove();
  pendingStart = undefined;
  if (await Location.hasStartedLocationUpdatesAsync(LOCATION_TASK).catch(() => false))
    await Location.stopLocationUpdatesAsync(LOCATION_TASK);
}
