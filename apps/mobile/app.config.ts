import type { ConfigContext, ExpoConfig } from 'expo/config';
import { AndroidConfig, withAndroidManifest, type ConfigPlugin } from 'expo/config-plugins';
import { z } from 'zod';

/**
 * What a release changes without touching code, read from the environment when Expo (or EAS) loads
 * this file. Every bad variable is listed at once.
 */
const Env = z.object({
  /** iOS bundle identifier and Android application id (reverse DNS). */
  FLEET_MOBILE_BUNDLE_ID: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$/, 'a reverse-DNS id such as com.example.fleet')
    .default('com.example.fleet'),
  /** The store version (build numbers are incremented by EAS: see eas.json). */
  FLEET_MOBILE_VERSION: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'a version such as 1.4.0')
    .default('1.0.0'),
  /** The server the sign-in screen proposes until the user types another one. */
  FLEET_MOBILE_SERVER_URL: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  /**
   * The dispatcher map's tiles when the server's `/config.json` does not say (a Leaflet template, as
   * the web's MAP_TILE_URL; OpenStreetMap when unset) and the token for its `{accessToken}`.
   */
  MAP_TILE_URL: z.string().max(2048).default(''),
  MAP_TOKEN: z.string().max(2048).default(''),
  /** Set by `eas init`; without it EAS cannot link builds to the project. */
  EAS_PROJECT_ID: z.string().optional(),
});

function readEnv(): z.infer<typeof Env> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ');
    throw new Error(`apps/mobile/app.config.ts: bad environment\n  ${problems}`);
  }
  return parsed.data;
}

const LOCATION_ALWAYS =
  'Fleet records where the vehicle goes during your shift, also while the app is closed, and sends it to your company’s server.';
const LOCATION_WHEN_IN_USE = 'Fleet records where the vehicle goes during your shift.';

/**
 * Permissions that plugins or the template add and this app never needs: no shared storage (the queue
 * lives in the app's own SQLite file) and no drawing over other apps.
 */
export const BLOCKED_ANDROID_PERMISSIONS = [
  'android.permission.READ_EXTERNAL_STORAGE',
  'android.permission.WRITE_EXTERNAL_STORAGE',
  'android.permission.READ_MEDIA_IMAGES',
  'android.permission.READ_MEDIA_VIDEO',
  'android.permission.READ_MEDIA_AUDIO',
  'android.permission.MANAGE_EXTERNAL_STORAGE',
  'android.permission.SYSTEM_ALERT_WINDOW',
  'android.permission.RECORD_AUDIO',
];

const LOCATION_SERVICE = 'expo.modules.location.services.LocationTaskService';

/**
 * expo-location declares its foreground service in its library manifest, merged only by Gradle; the
 * app's own manifest states it too, so the service type (`location`, required on Android 14+) is
 * visible and checked in the prebuilt project.
 */
const withLocationForegroundService: ConfigPlugin = (config) =>
  withAndroidManifest(config, (mod) => {
    const app = AndroidConfig.Manifest.getMainApplicationOrThrow(mod.modResults);
    const services = (app.service ?? []).filter((s) => s.$['android:name'] !== LOCATION_SERVICE);
    services.push({
      $: {
        'android:name': LOCATION_SERVICE,
        'android:exported': 'false',
        'android:foregroundServiceType': 'location',
      } as (typeof services)[number]['$'],
    });
    app.service = services;
    return mod;
  });

export default ({ config }: ConfigContext): ExpoConfig => {
  const env = readEnv();
  const expo: ExpoConfig = {
    ...config,
    name: 'Fleet',
    slug: 'fleet-mobile',
    version: env.FLEET_MOBILE_VERSION,
    orientation: 'portrait',
    icon: './assets/images/icon.png',
    scheme: 'fleet',
    userInterfaceStyle: 'automatic',
    ios: {
      bundleIdentifier: env.FLEET_MOBILE_BUNDLE_ID,
      supportsTablet: true,
      infoPlist: { ITSAppUsesNonExemptEncryption: false },
    },
    android: {
      package: env.FLEET_MOBILE_BUNDLE_ID,
      adaptiveIcon: { foregroundImage: './assets/images/adaptive-icon.png', backgroundColor: '#ffffff' },
      blockedPermissions: BLOCKED_ANDROID_PERMISSIONS,
    },
    web: { bundler: 'metro', favicon: './assets/images/favicon.png' },
    plugins: [
      [
        'expo-splash-screen',
        {
          image: './assets/images/splash-icon.png',
          imageWidth: 200,
          resizeMode: 'contain',
          backgroundColor: '#ffffff',
        },
      ],
      [
        'expo-location',
        {
          locationAlwaysAndWhenInUsePermission: LOCATION_ALWAYS,
          locationAlwaysPermission: LOCATION_ALWAYS,
          locationWhenInUsePermission: LOCATION_WHEN_IN_USE,
          isIosBackgroundLocationEnabled: true,
          isAndroidBackgroundLocationEnabled: true,
          isAndroidForegroundServiceEnabled: true,
        },
      ],
      'expo-task-manager',
      // The periodic upload of the queue when the location task gets no wakes (iOS: the "processing"
      // background mode and the BGTaskScheduler identifier; Android: WorkManager).
      'expo-background-task',
      [
        'expo-camera',
        {
          cameraPermission: 'Fleet uses the camera only to scan the setup QR code shown on the web.',
          recordAudioAndroid: false,
        },
      ],
      'expo-notifications',
      'expo-secure-store',
      'expo-sqlite',
      'expo-localization',
      // MapLibre's native setup (iOS Podfile hooks; Android Gradle properties): the dispatcher map.
      '@maplibre/maplibre-react-native',
    ],
    extra: {
      defaultServerUrl: env.FLEET_MOBILE_SERVER_URL,
      mapTileUrl: env.MAP_TILE_URL,
      mapToken: env.MAP_TOKEN,
      ...(env.EAS_PROJECT_ID ? { eas: { projectId: env.EAS_PROJECT_ID } } : {}),
    },
  };
  return withLocationForegroundService(expo) as ExpoConfig;
};
