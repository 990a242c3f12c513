import * as Battery from 'expo-battery';

/** What the tracker needs from the phone's battery: the level for each fix, and whether it is on power. */
export interface Power {
  /** Percent, 0–100, rounded; null when the phone does not say (expo-battery's −1, a simulator). */
  battery: number | null;
  /** Plugged in (charging, full, or held below full by battery protection): sample more often. */
  charging: boolean;
}

export const UNKNOWN_POWER: Power = { battery: null, charging: false };

/** expo-battery's level (0–1, −1 unknown) as a whole percent, or null. */
export function batteryPercent(level: number | null | undefined): number | null {
  if (typeof level !== 'number' || !Number.isFinite(level) || level < 0 || level > 1) return null;
  return Math.round(level * 100);
}

/**
 * On external power. FULL and NOT_CHARGING (Android: plugged in, charging paused at 80 % by battery
 * protection) count too: the phone is in a cradle, battery life is not the concern.
 */
export function onPower(state: Battery.BatteryState | null | undefined): boolean {
  return (
    state === Battery.BatteryState.CHARGING ||
    state === Battery.BatteryState.FULL ||
    state === Battery.BatteryState.NOT_CHARGING
  );
}

/**
 * The battery now: two cheap native reads, made at each run of the background location task. A
 * failure (module missing, a simulator) gives UNKNOWN_POWER: a fix is never lost for want of a level.
 */
export async function readPower(): Promise<Power> {
  try {
    const [level, state] = await Promise.all([Battery.getBatteryLevelAsync(), Battery.getBatteryStateAsync()]);
    return { battery: batteryPercent(level), charging: onPower(state) };
  } catch {
    return UNKNOWN_POWER;
  }
}

/**
 * Calls `onChange` with the whole Power each time the level or the charging state changes
 * (foreground: JavaScript listeners do not run while the app is suspended). Returns the unsubscribe.
 */
export function watchPower(initial: Power, onChange: (power: Power) => void): () => void {
  let current = initial;
  const update = (next: Partial<Power>) => {
    current = { ...current, ...next };
    onChange(current);
  };
  const subscriptions = [
    Battery.addBatteryLevelListener(({ batteryLevel }) => update({ battery: batteryPercent(batteryLevel) })),
    Battery.addBatteryStateListener(({ batteryState }) => update({ charging: onPower(batteryState) })),
  ];
  return () => subscriptions.forEach((s) => s.remove());
}
