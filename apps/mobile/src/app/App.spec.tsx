import { render, screen } from '@testing-library/react-native';
import { memoryPreferences } from '../storage/preferences';
import { App } from './App';

const mockLocales = jest.fn(() => [{ languageCode: 'es' as string | null }]);
jest.mock('expo-localization', () => ({ getLocales: () => mockLocales() }));

describe('app', () => {
  it('opens in the phone’s language with the server remembered from the last sign-in', async () => {
    render(<App preferences={memoryPreferences({ serverUrl: 'https://remembered.example.test' })} />);
    expect(await screen.findByLabelText('Dirección del servidor')).toHaveProp(
      'value',
      'https://remembered.example.test',
    );
    expect(screen.getByRole('heading')).toHaveTextContent('Flota');
  });

  it('proposes the build’s default server until one is remembered, in English on an English phone', async () => {
    mockLocales.mockReturnValue([{ languageCode: 'en' }]);
    render(<App preferences={memoryPreferences()} defaultServerUrl="https://default.example.test" />);
    expect(await screen.findByLabelText('Server address')).toHaveProp('value', 'https://default.example.test');
  });
});
