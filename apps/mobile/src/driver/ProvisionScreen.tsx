import { ApiError, FleetApi } from '@fleet/api-client';
import { decodeProvisioning, TrackerProvisioning } from '@fleet/contracts';
import { CameraView, useCameraPermissions, type BarcodeScanningResult } from 'expo-camera';
import { useEffect, useRef, useState } from 'react';
import { ActivityIndicator, Pressable, ScrollView, Text, TextInput } from 'react-native';
import { normaliseServerUrl } from '../session/sign-in';
import { useDriverTranslation } from './i18n';
import { DriverStore } from './store';
import { styles } from './styles';

export interface ProvisionScreenProps {
  store?: DriverStore;
  fetch?: typeof fetch;
  onProvisioned: (value: TrackerProvisioning) => void;
}

/**
 * Makes this phone a vehicle's tracker: the QR code of the web's "Phone setup" page scanned, its
 * `fleet-tracker://provision?…` link pasted, or the server and device token typed (then the server
 * names the vehicle through `GET /api/v1/device/settings`, which also proves the token).
 */
export function ProvisionScreen({ store = defaultStore, fetch, onProvisioned }: ProvisionScreenProps) {
  const { t } = useDriverTranslation();
  const [camera, requestCamera] = useCameraPermissions();
  const [scanning, setScanning] = useState(false);
  const [link, setLink] = useState('');
  const [serverUrl, setServerUrl] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // The camera reports the same code many times a second: only the first is handled.
  const handled = useRef(false);
  const rescan = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(rescan.current), []);

  const save = async (value: TrackerProvisioning) => {
    await store.saveProvisioning(value);
    setError(null);
    setDone(t('provision.done', { vehicle: value.vehicleName }));
    onProvisioned(value);
  };

  const applyText = async (text: string) => {
    const result = decodeProvisioning(text);
    if (!result.ok) {
      setError(t('provision.invalid', { reason: result.message }));
      return false;
    }
    await save(result.value);
    return true;
  };

  const onScanned = ({ data }: BarcodeScanningResult) => {
    if (handled.current) return;
    handled.current = true;
    void applyText(data).then((ok) => {
      if (ok) setScanning(false);
      // A wrong code: let the next scan through after the message is read.
      else rescan.current = setTimeout(() => (handled.current = false), 1500);
    });
  };

  const startScan = async () => {
    const permission = camera?.granted ? camera : await requestCamera();
    if (!permission.granted) return setError(t('provision.cameraDenied'));
    handled.current = false;
    setError(null);
    setScanning(true);
  };

  const checkToken = async () => {
    const url = normaliseServerUrl(serverUrl);
    if (!url || !token.trim()) return setError(t('provision.missing'));
    setBusy(true);
    setError(null);
    try {
      const deviceToken = token.trim();
      const api = new FleetApi({ baseUrl: url, getToken: () => deviceToken, fetch });
      const answer = await api.getDeviceSettings();
      const parsed = TrackerProvisioning.safeParse({
        version: 1,
        serverUrl: url,
        deviceToken,
        vehicleId: answer.vehicleId,
        vehicleName: answer.vehicleName,
      });
      if (!parsed.success)
        return setError(t('provision.invalid', { reason: parsed.error.issues.map((i) => i.message).join('; ') }));
      await store.saveSettings(answer.tracker);
      await save(parsed.data);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setError(t('provision.rejected'));
      else if (err instanceof ApiError && err.code === 'network') setError(t('provision.unreachable'));
      else setError(t('provision.invalid', { reason: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ScrollView contentContainerStyle={styles.screen} keyboardShouldPersistTaps="handled">
      <Text style={styles.title} role="heading">
        {t('provision.title')}
      </Text>
      <Text style={styles.text}>{t('provision.intro')}</Text>
      {scanning ? (
        <CameraView
          testID="qr-camera"
          style={styles.camera}
          facing="back"
          barcodeScannerSettings={{ barcodeTypes: ['qr'] }}
          onBarcodeScanned={onScanned}
        />
      ) : (
        <Pressable role="button" style={styles.button} onPress={() => void startScan()}>
          <Text style={styles.buttonText}>{t('provision.scan')}</Text>
        </Pressable>
      )}

      <Text style={styles.label}>{t('provision.link')}</Text>
      <TextInput
        style={styles.input}
        accessibilityLabel={t('provision.link')}
        placeholder={t('provision.linkHint')}
        value={link}
        onChangeText={setLink}
        autoCapitalize="none"
        autoCorrect={false}
      />
      <Pressable role="button" style={styles.secondary} onPress={() => void applyText(link)}>
        <Text style={styles.secondaryText}>{t('provision.useLink')}</Text>
      </Pressable>

      <Text style={styles.label}>{t('provision.serverUrl')}</Text>
      <TextInput
        style={styles.input}
        accessibilityLabel={t('provision.serverUrl')}
        value={serverUrl}
        onChangeText={setServerUrl}
        autoCapitalize="none"
        autoCorrect={false}
        keyboardType="url"
      />
      <Text style={styles.label}>{t('provision.token')}</Text>
      <TextInput
        style={styles.input}
        accessibilityLabel={t('provision.token')}
        value={token}
        onChangeText={setToken}
        autoCapitalize="none"
        autoCorrect={false}
        secureTextEntry
      />
      <Pressable
        role="button"
        style={styles.secondary}
        disabled={busy}
        accessibilityState={{ busy, disabled: busy }}
        onPress={() => void checkToken()}
      >
        {busy ? <ActivityIndicator /> : null}
        <Text style={styles.secondaryText}>{busy ? t('provision.checking') : t('provision.useToken')}</Text>
      </Pressable>

      {error ? (
        <Text style={styles.error} role="alert">
          {error}
        </Text>
      ) : null}
      {done ? <Text style={styles.ok}>{done}</Text> : null}
    </ScrollView>
  );
}

const defaultStore = new DriverStore();
