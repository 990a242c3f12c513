import { render, screen } from '@testing-library/react-native';
import { I18nextProvider } from 'react-i18next';
import { createI18n } from '../i18n';
import { DiagnosticsScreen, type DiagnosticsView } from './DiagnosticsScreen';
import { fakeServer, location, realTracker } from './testing/helpers';
import type { DriverTracker } from './tracker';

const granted = {
  foreground: 'granted',
  background: 'denied',
  canAskForeground: true,
  canAskBackground: true,
} as const;

function show(tracker: DriverTracker, language: 'en' | 'es' = 'en', extra: Partial<DiagnosticsView> = {}) {
  const source = async (): Promise<DiagnosticsView> => ({
    ...(await tracker.diagnostics()),
    power: tracker.currentPower,
    permissions: granted,
    shiftOn: true,
    ...extra,
  });
  render(
    <I18nextProvider i18n={createI18n(language)}>
      <DiagnosticsScreen source={source} refreshMs={60_000} />
    </I18nextProvider>,
  );
}

const row = (label: string) => screen.findByLabelText(new RegExp(`^${label}: `));

// The first test of a file loads sql.js's WebAssembly: slow on a busy machine.
jest.setTimeout(20_000);

describe('diagnostics screen (real FixQueue on SQLite)', () => {
  it('shows the queued fixes and the upload error when the server refuses the token', async () => {
    const server = fakeServer(401, { error: { code: 'unauthorized', message: 'device token revoked' } });
    const tracker = await realTracker(server.impl);
    const start = Date.now() - 60_000;
    // Three fixes 100 m apart: each kept by the distance rule.
    expect(await tracker.record([location(start, 0), location(start, 10, 100), location(start, 20, 200)])).toBe(3);
    expect(await tracker.maybeDrain({ force: true })).toMatchObject({ end: 'unauthorized', sent: 0 });
    show(tracker);

    expect(await row('Fixes waiting to be sent')).toHaveProperty(
      'props.accessibilityLabel',
      'Fixes waiting to be sent: 3',
    );
    expect((await row('Last error')).props.accessibilityLabel).toMatch(/^Last error: 401 device token revoked at /);
    expect((await row('Last upload')).props.accessibilityLabel).toBe('Last upload: never');
    expect((await row('Last fix')).props.accessibilityLabel).toMatch(/ · 40\.41860, -3\.70380$/); // the 200 m fix
    expect((await row('Location \\(always\\)')).props.accessibilityLabel).toBe('Location (always): Not allowed');
    expect((await row('Shift')).props.accessibilityLabel).toBe('Shift: on');
  });

  it('shows an empty queue and the last upload once the server took the fixes, in Spanish', async () => {
    const server = fakeServer(202, { accepted: 2 });
    const tracker = await realTracker(server.impl);
    const start = Date.now() - 60_000;
    await tracker.record([location(start, 0), location(start, 10, 100)]);
    expect(await tracker.maybeDrain({ force: true })).toMatchObject({ end: 'empty', sent: 2 });
    expect(server.sent).toHaveLength(1);
    expect((server.sent[0].body as { positions: unknown[] }).positions).toHaveLength(2);
    show(tracker, 'es');

    expect((await row('Posiciones pendientes de envío')).props.accessibilityLabel).toBe(
      'Posiciones pendientes de envío: 0',
    );
    expect((await row('Último envío')).props.accessibilityLabel).not.toMatch(/nunca$/);
    expect((await row('Último error')).props.accessibilityLabel).toBe('Último error: ninguno');
  });

  it('shows the battery the fixes carry, battery optimisation and the background upload task', async () => {
    const tracker = await realTracker(fakeServer(202, {}).impl);
    await tracker.record([location(Date.now() - 60_000, 0)], { battery: 64, charging: true });
    show(tracker, 'en', { batteryOptimised: true, uploadTask: true });
    expect((await row('Battery')).props.accessibilityLabel).toBe('Battery: 64 %, charging');
    expect((await row('Battery optimisation')).props.accessibilityLabel).toBe(
      'Battery optimisation: on: Android may stop tracking',
    );
    expect((await row('Background upload')).props.accessibilityLabel).toBe('Background upload: registered');
  });

  it('says when the battery level is unknown, and leaves out what the platform does not have, in Spanish', async () => {
    const tracker = await realTracker(fakeServer(202, {}).impl);
    show(tracker, 'es', { uploadTask: false });
    expect((await row('Batería')).props.accessibilityLabel).toBe('Batería: desconocida');
    expect((await row('Envío en segundo plano')).props.accessibilityLabel).toBe(
      'Envío en segundo plano: no disponible',
    );
    expect(screen.queryByLabelText(/^Optimización de batería: /)).toBeNull();
  });
});
