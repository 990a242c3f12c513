import { encodeProvisioning, DEFAULT_TRACKER_SETTINGS } from '@fleet/contracts';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import type { ReactNode } from 'react';
import { I18nextProvider } from 'react-i18next';
import { createI18n, type Language } from '../i18n';
import { ProvisionScreen } from './ProvisionScreen';
import { DriverStore, memoryKeyValue } from './store';
import { fakeServer, PROVISIONING } from './testing/helpers';

// The camera is native: a stand-in that hands the test the scanner callback it was given.
const camera: { onBarcodeScanned?: (result: { data: string; type: string }) => void; granted: boolean } = {
  granted: true,
};
jest.mock('expo-camera', () => {
  const { View } = jest.requireActual('react-native');
  return {
    CameraView: (props: { onBarcodeScanned: typeof camera.onBarcodeScanned; testID?: string }) => {
      camera.onBarcodeScanned = props.onBarcodeScanned;
      return <View testID={props.testID} />;
    },
    useCameraPermissions: () => [
      { granted: camera.granted },
      async () => ({ granted: camera.granted, status: camera.granted ? 'granted' : 'denied' }),
    ],
  };
});

function renderScreen(language: Language = 'en', fetch?: typeof globalThis.fetch) {
  const kv = memoryKeyValue();
  const store = new DriverStore(kv);
  const onProvisioned = jest.fn();
  const wrap = (node: ReactNode) => <I18nextProvider i18n={createI18n(language)}>{node}</I18nextProvider>;
  render(wrap(<ProvisionScreen store={store} fetch={fetch} onProvisioned={onProvisioned} />));
  return { kv, store, onProvisioned };
}

const scan = (data: string) => act(async () => camera.onBarcodeScanned?.({ data, type: 'qr' }));

beforeEach(() => {
  camera.granted = true;
  camera.onBarcodeScanned = undefined;
});

describe('provisioning', () => {
  it('stores the token of a scanned QR code in the secure store and names the vehicle', async () => {
    const { store, kv, onProvisioned } = renderScreen();
    fireEvent.press(screen.getByText('Scan setup code'));
    await screen.findByTestId('qr-camera');
    const { version: _v, ...payload } = PROVISIONING;
    await scan(encodeProvisioning(payload));

    await waitFor(() => expect(onProvisioned).toHaveBeenCalledWith(PROVISIONING));
    expect((await store.load()).provisioning).toEqual(PROVISIONING);
    expect(kv.values['driver.provisioning']).toContain(PROVISIONING.deviceToken);
    expect(screen.getByText('This phone now reports as Truck 7.')).toBeTruthy();
    expect(screen.queryByTestId('qr-camera')).toBeNull();
  });

  it('says why a scanned code cannot be used and stores nothing', async () => {
    const { kv, onProvisioned } = renderScreen();
    fireEvent.press(screen.getByText('Scan setup code'));
    await screen.findByTestId('qr-camera');
    await scan('https://example.com/menu');

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'This code cannot be used: not a fleet-tracker://provision link',
    );
    expect(onProvisioned).not.toHaveBeenCalled();
    expect(kv.values).toEqual({});
    expect(screen.getByTestId('qr-camera')).toBeTruthy();
  });

  it('names the bad field of a pasted link, in Spanish', async () => {
    const { kv } = renderScreen('es');
    const bad =
      'fleet-tracker://provision?v=1&server=ftp%3A%2F%2Fx&token=dev_0123456789abcdef&vehicle=T&vehicleId=nope';
    fireEvent.changeText(screen.getByLabelText('Enlace de configuración'), bad);
    fireEvent.press(screen.getByText('Usar este enlace'));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^Este código no se puede usar: /);
    expect(alert).toHaveTextContent(/serverUrl: an http\(s\) URL without credentials/);
    expect(alert).toHaveTextContent(/vehicleId/);
    expect(kv.values).toEqual({});
  });

  it('tells to type the token when the camera is refused', async () => {
    camera.granted = false;
    renderScreen();
    fireEvent.press(screen.getByText('Scan setup code'));
    expect(await screen.findByRole('alert')).toHaveTextContent(/camera is not allowed/);
    expect(screen.queryByTestId('qr-camera')).toBeNull();
  });

  it('checks a typed server and token with the device-settings route, then stores them with the settings', async () => {
    const tracker = { ...DEFAULT_TRACKER_SETTINGS, heartbeatSeconds: 120 };
    const server = fakeServer(200, {
      vehicleId: PROVISIONING.vehicleId,
      vehicleName: PROVISIONING.vehicleName,
      tracker,
    });
    const { store, onProvisioned } = renderScreen('en', server.impl);
    fireEvent.changeText(screen.getByLabelText('Server address'), ' https://fleet.example.test/ ');
    fireEvent.changeText(screen.getByLabelText('Device token'), PROVISIONING.deviceToken);
    fireEvent.press(screen.getByText('Check and save'));

    await waitFor(() => expect(onProvisioned).toHaveBeenCalledWith(PROVISIONING));
    expect(server.sent).toEqual([
      {
        url: 'https://fleet.example.test/api/v1/device/settings',
        method: 'GET',
        authorization: `Bearer ${PROVISIONING.deviceToken}`,
        body: undefined,
      },
    ]);
    expect(await store.load()).toEqual({ provisioning: PROVISIONING, shiftOn: false, settings: tracker });
  });

  it('refuses a typed token the server does not know', async () => {
    const server = fakeServer(401, { error: { code: 'unauthorized', message: 'unknown device token' } });
    const { kv, onProvisioned } = renderScreen('en', server.impl);
    fireEvent.changeText(screen.getByLabelText('Server address'), 'https://fleet.example.test');
    fireEvent.changeText(screen.getByLabelText('Device token'), 'dev_revoked_token');
    fireEvent.press(screen.getByText('Check and save'));

    expect(await screen.findByRole('alert')).toHaveTextContent(/^The server refused this token/);
    expect(onProvisioned).not.toHaveBeenCalled();
    expect(kv.values).toEqual({});
  });
});
