import type { TrackerSettings } from '@fleet/contracts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ActivityIndicator, Platform, Pressable, ScrollView, Switch, Text, View } from 'react-native';
import { DiagnosticsScreen } from './DiagnosticsScreen';
import { useDriverTranslation } from './i18n';
import {
  locationOptions,
  startTracking,
  stopTracking,
  type NotificationTexts,
  type StartResult,
} from './location-task';
import {
  canTrack,
  openBatterySettings,
  readPermissions,
  requestNextPermission,
  type LocationPermissions,
} from './permissions';
import { ProvisionScreen } from './ProvisionScreen';
import { runtimeDeps } from './runtime';
import type { DriverState } from './store';
import { styles } from './styles';
import { registerUploadTask, unregisterUploadTask } from './upload-task';
import { useTrackerLoop } from './useTrackerLoop';

/**
 * The driver mode: provisioning until the phone is a vehicle's tracker, then the shift switch, the
 * guided permission flow, the battery-optimisation link and the diagnostics.
 */
export function DriverHome() {
  const { t } = useDriverTranslation();
  const { store } = runtimeDeps();
  const [state, setState] = useState<DriverState | null>(null);
  const [permissions, setPermissions] = useState<LocationPermissions | null>(null);
  const [started, setStarted] = useState<StartResult | null>(null);
  const [diagnostics, setDiagnostics] = useState(false);
  const lastOptions = useRef<string | null>(null);

  // Bumped to read the stored state and the permissions again.
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    let live = true;
    void Promise.all([store.load(), readPermissions()]).then(([next, perms]) => {
      if (!live) return;
      setState(next);
      setPermissions(perms);
    });
    return () => {
      live = false;
    };
  }, [store, version]);

  const texts: NotificationTexts = useMemo(
    () => ({ title: t('notification.title'), body: t('notification.body') }),
    [t],
  );

  const start = useCallback(
    (settings: TrackerSettings) => {
      lastOptions.current = JSON.stringify(locationOptions(settings, texts));
      return startTracking(settings, texts);
    },
    [texts],
  );

  // A phone set up in this run gets the background upload task without waiting for the next launch.
  const provisioned = Boolean(state?.provisioning);
  useEffect(() => {
    if (provisioned) void registerUploadTask().catch(() => undefined);
  }, [provisioned]);

  const tracking = Boolean(state?.provisioning && state.shiftOn && permissions && canTrack(permissions));

  // On launch with the shift on (and after the permission flow): (re-)register the updates.
  useEffect(() => {
    if (!tracking || !state) return;
    let live = true;
    void start(state.settings).then((result) => live && setStarted(result));
    return () => {
      live = false;
    };
  }, [tracking, state, start]);

  const onSettings = useCallback(
    (settings: TrackerSettings) => {
      if (JSON.stringify(locationOptions(settings, texts)) !== lastOptions.current)
        void start(settings).then(setStarted);
    },
    [start, texts],
  );
  useTrackerLoop(tracking, onSettings);

  if (!state || !permissions) return <ActivityIndicator style={styles.screen} />;
  if (!state.provisioning) return <ProvisionScreen store={store} onProvisioned={reload} />;
  if (diagnostics) return <DiagnosticsScreen onBack={() => setDiagnostics(false)} />;

  const setShift = async (on: boolean) => {
    await store.setShift(on);
    if (!on) {
      await stopTracking();
      setStarted(null);
    }
    reload();
  };
  const nextPermission = async () => setPermissions(await requestNextPermission(permissions));

  const status = !state.shiftOn
    ? t('home.notTracking')
    : !canTrack(permissions)
      ? t('home.needsPermission')
      : started === 'waiting-foreground'
        ? t('home.waitingForeground')
        : t('home.tracking');

  return (
    <ScrollView contentContainerStyle={styles.screen}>
      <Text style={styles.title} role="heading">
        {t('home.title', { vehicle: state.provisioning.vehicleName })}
      </Text>
      <View style={styles.row}>
        <Text style={styles.text}>{t('home.shift')}</Text>
        <Switch accessibilityLabel={t('home.shift')} value={state.shiftOn} onValueChange={(on) => void setShift(on)} />
      </View>
      <Text style={styles.text}>{status}</Text>

      <Text style={styles.label}>{t('permissions.title')}</Text>
      <Text style={styles.text}>
        {t('permissions.foregroundStep')}: {t(`permissions.${permissions.foreground}`)}
      </Text>
      <Text style={styles.text}>
        {t('permissions.backgroundStep')}: {t(`permissions.${permissions.background}`)}
      </Text>
      {!canTrack(permissions) ? (
        <Pressable role="button" style={styles.button} onPress={() => void nextPermission()}>
          <Text style={styles.buttonText}>
            {permissions.foreground !== 'granted'
              ? permissions.canAskForeground
                ? t('permissions.grantForeground')
                : t('permissions.openSettings')
              : permissions.canAskBackground
                ? t('permissions.grantBackground')
                : t('permissions.openSettings')}
          </Text>
        </Pressable>
      ) : null}

      {Platform.OS === 'android' ? (
        <>
          <Text style={styles.text}>{t('home.batteryHint')}</Text>
          <Pressable role="button" style={styles.secondary} onPress={() => void openBatterySettings()}>
            <Text style={styles.secondaryText}>{t('home.battery')}</Text>
          </Pressable>
        </>
      ) : null}
      <Pressable role="button" style={styles.secondary} onPress={() => setDiagnostics(true)}>
        <Text style={styles.secondaryText}>{t('home.diagnostics')}</Text>
      </Pressable>
      <Pressable
        role="button"
        style={styles.secondary}
        onPress={() =>
          void stopTracking()
            .then(() => unregisterUploadTask().catch(() => undefined))
            .then(() => store.clear())
            .then(reload)
        }
      >
        <Text style={styles.secondaryText}>{t('home.unprovision')}</Text>
      </Pressable>
    </ScrollView>
  );
}
