import * as Battery from 'expo-battery';
import * as TaskManager from 'expo-task-manager';
import { useEffect, useState } from 'react';
import { Platform, Pressable, ScrollView, Text, View } from 'react-native';
import type { Power } from './battery';
import { useDriverTranslation } from './i18n';
import { readPermissions, type LocationPermissions } from './permissions';
import { getTracker, runtimeDeps } from './runtime';
import { styles } from './styles';
import type { Diagnostics } from './tracker';
import { UPLOAD_TASK } from './upload-task';

export interface DiagnosticsView extends Partial<Diagnostics> {
  permissions?: LocationPermissions;
  shiftOn?: boolean;
  /** The battery as the tracker last read it. */
  power?: Power;
  /** Android: whether the app is still under battery optimisation (Doze may stop it); undefined elsewhere. */
  batteryOptimised?: boolean;
  /** Whether the periodic background upload task is registered with the OS. */
  uploadTask?: boolean;
}

/** What the phone's tracker knows right now: the stored state, the OS permissions and the tracker's counters. */
export async function currentDiagnostics(): Promise<DiagnosticsView> {
  const [state, permissions, tracker, batteryOptimised, uploadTask] = await Promise.all([
    runtimeDeps().store.load(),
    readPermissions().catch(() => undefined),
    getTracker().catch(() => null),
    Platform.OS === 'android' ? Battery.isBatteryOptimizationEnabledAsync().catch(() => undefined) : undefined,
    TaskManager.isTaskRegisteredAsync(UPLOAD_TASK).catch(() => undefined),
  ]);
  return {
    ...(tracker ? await tracker.diagnostics() : {}),
    power: tracker?.currentPower,
    permissions,
    shiftOn: state.shiftOn,
    batteryOptimised,
    uploadTask,
  };
}

export interface DiagnosticsScreenProps {
  source?: () => Promise<DiagnosticsView>;
  /** How often the figures are read again while the screen is shown. */
  refreshMs?: number;
  onBack?: () => void;
}

export function DiagnosticsScreen({ source = currentDiagnostics, refreshMs = 2000, onBack }: DiagnosticsScreenProps) {
  const { t, i18n } = useDriverTranslation();
  const [view, setView] = useState<DiagnosticsView | null>(null);

  useEffect(() => {
    let live = true;
    const read = () =>
      source()
        .then((next) => live && setView(next))
        .catch(() => undefined);
    void read();
    const timer = setInterval(read, refreshMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [source, refreshMs]);

  const time = (at?: number) =>
    at === undefined ? t('diagnostics.never') : new Date(at).toLocaleString(i18n.language);
  const permission = (p?: string) => (p ? t(`permissions.${p}`) : '…');
  const error = view?.upload?.lastError
    ? t('diagnostics.errorText', {
        status: view.upload.lastError.status,
        message: view.upload.lastError.message,
        time: time(view.upload.lastError.at),
      })
    : view?.lastError
      ? `${view.lastError.message} (${time(view.lastError.at)})`
      : t('diagnostics.none');
  const lastFix = view?.lastFix
    ? `${time(view.lastFix.at)} · ${view.lastFix.fix.lat.toFixed(5)}, ${view.lastFix.fix.lon.toFixed(5)}`
    : t('diagnostics.never');

  const rows: Array<[string, string]> = [
    [t('diagnostics.foreground'), permission(view?.permissions?.foreground)],
    [t('diagnostics.background'), permission(view?.permissions?.background)],
    [t('diagnostics.shift'), view?.shiftOn ? t('diagnostics.on') : t('diagnostics.off')],
    [t('diagnostics.lastFix'), lastFix],
    [t('diagnostics.queued'), view?.queue ? String(view.queue.queued) : '…'],
    [t('diagnostics.quarantined'), view?.queue ? String(view.queue.quarantined) : '…'],
    [t('diagnostics.dropped'), view?.queue ? String(view.queue.dropped) : '…'],
    [t('diagnostics.lastUpload'), time(view?.upload?.lastUploadAt)],
    [t('diagnostics.lastError'), error],
  ];
  if (view?.upload?.retryAt) rows.push([t('diagnostics.retryAt'), time(view.upload.retryAt)]);
  const power = view?.power;
  rows.push([
    t('diagnostics.battery'),
    !power || power.battery === null
      ? t('diagnostics.unknown')
      : t(power.charging ? 'diagnostics.batteryCharging' : 'diagnostics.batteryLevel', { level: power.battery }),
  ]);
  if (view?.batteryOptimised !== undefined)
    rows.push([
      t('diagnostics.batteryOptimisation'),
      view.batteryOptimised ? t('diagnostics.optimised') : t('diagnostics.unrestricted'),
    ]);
  if (view?.uploadTask !== undefined)
    rows.push([
      t('diagnostics.uploadTask'),
      view.uploadTask ? t('diagnostics.registered') : t('diagnostics.notRegistered'),
    ]);

  return (
    <ScrollView contentContainerStyle={styles.screen}>
      <Text style={styles.title} role="heading">
        {t('diagnostics.title')}
      </Text>
      {rows.map(([label, value]) => (
        <View key={label} style={styles.row} accessible accessibilityLabel={`${label}: ${value}`}>
          <Text style={styles.text}>{label}</Text>
          <Text style={styles.value}>{value}</Text>
        </View>
      ))}
      {onBack ? (
        <Pressable role="button" style={styles.secondary} onPress={onBack}>
          <Text style={styles.secondaryText}>{t('home.back')}</Text>
        </Pressable>
      ) : null}
    </ScrollView>
  );
}
