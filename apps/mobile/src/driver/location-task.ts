import type { TrackerSettings } from '@fleet/contracts';
import type { LocationLike } from '@fleet/tracker';
import * as Location from 'expo-location';
import * as TaskManager from 'expo-task-manager';
import { AppState, type AppStateStatus } from 'react-native';
import { canTrack, readPermissions } from './permissions';
import { getTracker } from './runtime';
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
 * One run of the location task: the OS's batch of locations through the sampler into the queue,
 * then an upload if the interval has passed (Doze and iOS suspend timers, so the task's own wakes are
 * when the background uploads happen).
 */
export async function onLocationTask(
  body: TaskManager.TaskManagerTaskBody<{ locations?: LocationLike[] }>,
  tracker: () => Promise<DriverTracker | null> = getTracker,
  now: () => number = Date.now,
): Promise<void> {
  const t = await tracker();
  if (!t) return;
  if (body.error) {
    t.noteError(`location: ${body.error.message}`);
    return;
  }
  await t.record(body.data?.locations ?? []);
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

export type StartResult = 'started' | 'waiting-foreground' | 'no-permission';

let pendingStart: { remove(): void } | undefined;

/**
 * Starts (or re-registers) the location updates. Only while the app is in the foreground and the
 * permissions are granted: Android 14+ kills an app that starts a location foreground service from
 * the background ("ForegroundServiceStartNotAllowedException"), so a start requested while in the
 * background waits for the next return to the foreground.
 */
export async function startTracking(
  settings: TrackerSettings,
  texts: NotificationTexts,
  appState: { currentState: AppStateStatus | null; addEventListener: typeof AppState.addEventListener } = AppState,
): Promise<StartResult> {
  if (!canTrack(await readPermissions())) return 'no-permission';
  pendingStart?.remove();
  pendingStart = undefined;
  if (appState.currentState !== 'active') {
    const subscription = appState.addEventListener('change', (next) => {
      if (next !== 'active') return;
      subscription.remove();
      if (pendingStart === subscription) pendingStart = undefined;
      void startTracking(settings, texts, appState);
    });
    pendingStart = subscription;
    return 'waiting-foreground';
  }
  // Called again on every launch with the shift on, even when the task looks registered: after an
  // app update the registration survives but the updates no longer reach the new bundle.
  await Location.startLocationUpdatesAsync(LOCATION_TASK, locationOptions(settings, texts));
  return 'started';
}

export async function stopTracking(): Promise<void> {
  pendingStart?.remove();
  pendingStart = undefined;
  if (await Location.hasStartedLocationUpdatesAsync(LOCATION_TASK).catch(() => false))
    await Location.stopLocationUpdatesAsync(LOCATION_TASK);
}
