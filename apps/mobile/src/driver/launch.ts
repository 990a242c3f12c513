import { AppState, type AppStateStatus } from 'react-native';
import {
  startTracking,
  stopTracking,
  type AppStateLike,
  type NotificationTexts,
  type StartResult,
} from './location-task';
import { getTracker, runtimeDeps } from './runtime';
import type { DriverTracker } from './tracker';
import { registerUploadTask, unregisterUploadTask } from './upload-task';

export interface LaunchOptions {
  appState?: AppStateLike;
  tracker?: () => Promise<DriverTracker | null>;
}

let foregroundDrain: { remove(): void } | undefined;

/**
 * Drains the queue each time the app comes back to the foreground (once per process, whatever the
 * mode): fixes the background could not send (Doze, no network then, the app killed) go at once.
 * Nothing happens on a phone that is not provisioned.
 */
export function drainOnForeground(options: LaunchOptions = {}): void {
  const { appState = AppState, tracker = getTracker } = options;
  foregroundDrain?.remove();
  foregroundDrain = appState.addEventListener('change', (state: AppStateStatus) => {
    if (state !== 'active') return;
    void tracker()
      .then((t) => t?.maybeDrain({ force: true }))
      .catch(() => undefined);
  });
}

/**
 * For the app's launch, whatever screen shows:
 * - with the shift on, the location updates are registered again (after an app update the old
 *   registration stays but no longer delivers: expo #47595); with it off, a leftover one is removed;
 * - on a provisioned phone the background upload task is registered (idempotent) and the queue is
 *   drained now; without a setup the upload task is removed;
 * - the queue is drained at each return to the foreground (`drainOnForeground`).
 */
export async function resumeTrackingOnLaunch(
  texts: NotificationTexts,
  options: LaunchOptions = {},
): Promise<StartResult | 'off'> {
  // Subscribed even before provisioning: the tracker is null until then, and a phone set up later in
  // this run is covered without another launch.
  drainOnForeground(options);
  const state = await runtimeDeps().store.load();
  const tracker = options.tracker ?? getTracker;
  if (state.provisioning) {
    void registerUploadTask().catch(() => undefined);
    void tracker()
      .then((t) => t?.maybeDrain({ force: true }))
      .catch(() => undefined);
  } else void unregisterUploadTask().catch(() => undefined);
  if (!state.provisioning || !state.shiftOn) {
    await stopTracking();
    return 'off';
  }
  return startTracking(state.settings, texts, options.appState);
}
