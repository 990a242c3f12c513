import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { memoryPreferences } from '../storage/preferences';
import { App } from './App';
import { memoryMode } from './mode';

const mockLocales = jest.fn(() => [{ languageCode: 'es' as string | null }]);
/** The mounted useLocales hooks: a test calls them after changing mockLocales, as the OS's locale event does. */
const mockLocaleListeners = new Set<() => void>();
jest.mock('expo-localization', () => {
  const { useEffect, useReducer } = jest.requireActual('react');
  return {
    getLocales: () => mockLocales(),
    useLocales: () => {
      const [, changed] = useReducer((n: number) => n + 1, 0);
      useEffect(() => {
        mockLocaleListeners.add(changed);
        return () => void mockLocaleListeners.delete(changed);
      }, []);
      return mockLocales();
    },
  };
});
jest.mock('expo-notifications', () => ({}));
// The driver mode (src/driver) has its own tests; here only that the shell mounts it and resumes tracking.
const mockResume = jest.fn(async (_texts: { title: string; body: string }) => 'off' as const);
jest.mock('../driver', () => {
  const { Text } = jest.requireActual('react-native');
  return {
    DriverHome: () => <Text>driver home</Text>,
    addDriverTexts: (i18n: unknown) => i18n,
    resumeTrackingOnLaunch: (texts: { title: string; body: string }) => mockResume(texts),
  };
});

describe('app', () => {
  it('opens in the phone’s language with the server remembered from the last sign-in', async () => {
    render(
      <App
        preferences={memoryPreferences({ serverUrl: 'https://remembered.example.test' })}
        modeStore={memoryMode('dispatcher')}
      />,
    );
    expect(await screen.findByLabelText('Dirección del servidor')).toHaveProp(
      'value',
      'https://remembered.example.test',
    );
    expect(screen.getByRole('heading')).toHaveTextContent('Flota');
  });

  it('follows the phone’s language when the user changes it while the app runs', async () => {
    mockLocales.mockReturnValue([{ languageCode: 'es' }]);
    render(<App preferences={memoryPreferences()} modeStore={memoryMode('dispatcher')} defaultServerUrl="" />);
    expect(await screen.findByLabelText('Dirección del servidor')).toBeTruthy();
    // Settings → Languages: English moved first; the OS's locale event.
    mockLocales.mockReturnValue([{ languageCode: 'en' }, { languageCode: 'es' }]);
    act(() => mockLocaleListeners.forEach((notify) => notify()));
    expect(await screen.findByLabelText('Server address')).toBeTruthy();
    expect(screen.getByRole('heading')).toHaveTextContent('Fleet');
    mockLocales.mockReturnValue([{ languageCode: 'fr' }, { languageCode: 'es' }]);
    act(() => mockLocaleListeners.forEach((notify) => notify()));
    expect(await screen.findByLabelText('Dirección del servidor')).toBeTruthy();
  });

  it('proposes the build’s default server until one is remembered, in English on an English phone', async () => {
    mockLocales.mockReturnValue([{ languageCode: 'en' }]);
    render(
      <App
        preferences={memoryPreferences()}
        modeStore={memoryMode('dispatcher')}
        defaultServerUrl="https://default.example.test"
      />,
    );
    expect(await screen.findByLabelText('Server address')).toHaveProp('value', 'https://default.example.test');
  });

  it('asks how the phone will be used on first launch, and remembers the answer', async () => {
    mockLocales.mockReturnValue([{ languageCode: 'en' }]);
    const modeStore = memoryMode();
    render(<App preferences={memoryPreferences()} modeStore={modeStore} defaultServerUrl="https://d.example.test" />);
    fireEvent.press(await screen.findByText('Dispatcher: follow the fleet'));
    expect(await screen.findByLabelText('Server address')).toBeTruthy();
    expect(modeStore.mode).toBe('dispatcher');
    fireEvent.press(screen.getByText('Change mode'));
    fireEvent.press(await screen.findByText('Driver: this phone tracks a vehicle'));
    expect(modeStore.mode).toBe('driver');
    expect(await screen.findByText('driver home')).toBeTruthy();
    // Whatever the mode, the launch re-registers a driver's location updates if a shift is on.
    expect(mockResume).toHaveBeenCalled();
  });
});
