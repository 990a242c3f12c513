import type { TrackerSettings } from '@fleet/contracts';
import { useEffect } from 'react';
import { AppState } from 'react-native';
import { readPower, watchPower, type Power } from './battery';
import { getTracker } from './runtime';
import type { DriverTracker } from './tracker';

const POWER = { read: readPower, watch: watchPower };

/** How often the foreground asks the server for new settings (besides each return to the foreground). */
export const SETTINGS_REFRESH_MS = 15 * 60_000;

/**
 * While the app is open with the shift on: the battery's level and charging state followed, the
 * sampler's heartbeat timer, an upload every `uploadIntervalSeconds`, and the server's settings
 * fetched on start, on each return to the foreground and every SETTINGS_REFRESH_MS, applied at once
 * (`onSettings` restarts the OS updates when their options change).
 */
export function useTrackerLoop(
  active: boolean,
  onSettings: (settings: TrackerSettings) => void,
  tracker: () => Promise<DriverTracker | null> = getTracker,
  power: { read: () => Promise<Power>; watch: typeof watchPower } = POWER,
): void {
  useEffect(() => {
    if (!active) return;
    let live = true;
    let drainTimer: ReturnType<typeof setInterval> | undefined;
    let current: DriverTracker | null = null;
    let unwatchPower: (() => void) | undefined;

    const scheduleDrain = (t: DriverTracker) => {
      if (drainTimer) clearInterval(drainTimer);
      drainTimer = setInterval(
        () => void t.maybeDrain({ force: true }),
        t.currentSettings.uploadIntervalSeconds * 1000,
      );
    };
    const refresh = async () => {
      if (!current) return;
      const settings = await current.refreshSettings();
      if (!live || !settings || !current) return;
      scheduleDrain(current);
      onSettings(settings);
    };

    void tracker().then((t) => {
      if (!live || !t) return;
      current = t;
      // The battery as it changes (plugged in at the cradle, unplugged): the sampler's charging rule
      // and the level of the next fixes follow without waiting for the location task's own read.
      void power.read().then((initial) => {
        if (!live) return;
        t.setPower(initial);
        unwatchPower = power.watch(initial, (next) => t.setPower(next));
      });
      t.sampler.start();
      scheduleDrain(t);
      void t.maybeDrain({ force: true });
      void refresh();
    });
    const settingsTimer = setInterval(() => void refresh(), SETTINGS_REFRESH_MS);
    const subscription = AppState.addEventListener('change', (state) => {
      if (state === 'active') void refresh();
    });
    return () => {
      live = false;
      unwatchPower?.();
      current?.sampler.stop();
      if (drainTimer) clearInterval(drainTimer);
      clearInterval(settingsTimer);
      subscription.remove();
    };
  }, [active, onSettings, tracker, power]);
}
