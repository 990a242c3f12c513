import * as BackgroundTask from 'expo-background-task';
import * as TaskManager from 'expo-task-manager';
import { getTracker } from './runtime';
import type { DriverTracker } from './tracker';

/** The background upload task's name (registered with the OS: renaming it orphans installed phones). */
export const UPLOAD_TASK = 'fleet-driver-upload';

/** The OS's minimum, in minutes: it decides when the task actually runs (Android's WorkManager, iOS's BGTaskScheduler). */
export const UPLOAD_TASK_INTERVAL_MINUTES = 15;

/**
 * How long one run may spend uploading. Android's WorkManager allows 10 minutes, iOS a few; the
 * uploader leaves what is left queued rather than wait past it, and iOS's expiration stops it sooner.
 */
export const UPLOAD_TASK_BUDGET_MS = 60_000;

/**
 * One run of the background upload task: drains the on-device queue with the tracker's uploader (the
 * same batches, backoff, quarantine and Retry-After as every other upload), no location needed. It
 * covers what the location task does not: Doze or a parked phone giving the location task no wakes,
 * fixes still queued after the shift ended or the app was killed.
 *
 * Success when the queue is empty at the end (or the phone is not provisioned: nothing to send);
 * Failed when fixes stay queued (server unreachable or refusing, the token revoked, the time budget
 * spent) — they are sent on a later run.
 */
export async function onUploadTask(
  tracker: () => Promise<DriverTracker | null> = getTracker,
  now: () => number = Date.now,
): Promise<BackgroundTask.BackgroundTaskResult> {
  let t: DriverTracker | null;
  try {
    t = await tracker();
  } catch {
    return BackgroundTask.BackgroundTaskResult.Failed;
  }
  if (!t) return BackgroundTask.BackgroundTaskResult.Success;
  const result = await t.maybeDrain({ force: true, until: now() + UPLOAD_TASK_BUDGET_MS });
  return result?.end === 'empty'
    ? BackgroundTask.BackgroundTaskResult.Success
    : BackgroundTask.BackgroundTaskResult.Failed;
}

// At module scope, like the location task: the OS runs the bundle headless for this task and must
// find it defined before any screen mounts.
TaskManager.defineTask(UPLOAD_TASK, async () => {
  // iOS may end the run early: stop after the request in flight (its fixes still leave the queue on a 2xx).
  let expiry: { remove(): void } | undefined;
  try {
    expiry = BackgroundTask.addExpirationListener(() => {
      void getTracker()
        .then((t) => t?.stopUploads())
        .catch(() => undefined);
    });
  } catch {
    // Android has no expiration event: WorkManager's 10 minutes are far past the budget.
  }
  try {
    return await onUploadTask();
  } finally {
    expiry?.remove();
  }
});

/**
 * Registers the periodic upload with the OS (idempotent: called at every launch of a provisioned
 * phone). Where background tasks are restricted (Expo Go, the iOS simulator) nothing is registered
 * and the location task's and the foreground's uploads remain.
 */
export async function registerUploadTask(): Promise<boolean> {
  if ((await BackgroundTask.getStatusAsync()) !== BackgroundTask.BackgroundTaskStatus.Available) return false;
  await BackgroundTask.registerTaskAsync(UPLOAD_TASK, { minimumInterval: UPLOAD_TASK_INTERVAL_MINUTES });
  return true;
}

/** Removes the periodic upload (the phone's setup was removed). */
export async function unregisterUploadTask(): Promise<void> {
  await BackgroundTask.unregisterTaskAsync(UPLOAD_TASK);
}
