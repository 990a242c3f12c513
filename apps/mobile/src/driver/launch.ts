import { startTracking, stopTracking, type NotificationTexts, type StartResult } from './location-task';
import { runtimeDeps } from './runtime';

/**
 * For the app's launch, whatever screen shows: with the shift on, the location updates are
 * registered again (after an app update the old registration stays but no longer delivers); with it
 * off, a leftover registration is removed.
 */
export async function resumeTrackingOnLaunch(texts: NotificationTexts): Promise<StartResult | 'off'> {
  const state = await runtimeDeps().store.load();
  if (!state.provisioning || !state.shiftOn) {
    await stopTracking();
    return 'off';
  }
  return startTracking(state.settings, texts);
}
