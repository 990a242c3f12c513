import * as Location from 'expo-location';
import { Linking, Platform } from 'react-native';

export type PermissionStatus = 'granted' | 'denied' | 'undetermined';

export interface LocationPermissions {
  foreground: PermissionStatus;
  background: PermissionStatus;
  /** False once the OS will not show the dialog again: only the settings app can change it. */
  canAskForeground: boolean;
  canAskBackground: boolean;
}

const status = (s: Location.PermissionStatus | string): PermissionStatus =>
  s === 'granted' ? 'granted' : s === 'denied' ? 'denied' : 'undetermined';

export async function readPermissions(): Promise<LocationPermissions> {
  const [fg, bg] = await Promise.all([
    Location.getForegroundPermissionsAsync(),
    Location.getBackgroundPermissionsAsync(),
  ]);
  return {
    foreground: status(fg.status),
    background: status(bg.status),
    canAskForeground: fg.canAskAgain,
    canAskBackground: bg.canAskAgain,
  };
}

/**
 * The guided flow, one step per call: while-in-use first (both OSes refuse "Always" before it; Android
 * 11+ only offers background on the settings page it opens), then background ("Always").
 */
export async function requestNextPermission(current: LocationPermissions): Promise<LocationPermissions> {
  if (current.foreground !== 'granted') {
    if (!current.canAskForeground) await Linking.openSettings();
    else await Location.requestForegroundPermissionsAsync();
  } else if (current.background !== 'granted') {
    if (!current.canAskBackground) await Linking.openSettings();
    else await Location.requestBackgroundPermissionsAsync();
  }
  return readPermissions();
}

export const canTrack = (p: LocationPermissions) => p.foreground === 'granted' && p.background === 'granted';

/**
 * Android's list of apps exempt from battery optimisation (Doze stops a location service otherwise on
 * several makers' phones); the app's own settings where that intent is missing, and on iOS.
 */
export async function openBatterySettings(): Promise<void> {
  if (Platform.OS === 'android') {
    try {
      await Linking.sendIntent('android.settings.IGNORE_BATTERY_OPTIMIZATION_SETTINGS');
      return;
    } catch {
      // Some makers remove that screen: the app's settings page has the battery entry instead.
    }
  }
  await Linking.openSettings();
}
