import { fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import { I18nextProvider } from 'react-i18next';
import { createI18n, type Language } from '../i18n';
import { memoryPreferences } from '../storage/preferences';
import { SignInScreen } from './SignInScreen';

const USER = {
  id: '3f1c2b9e-6a4d-4c1e-9f3a-2b7d8e9f0a1b',
  email: 'dispatch@example.com',
  name: 'Dana Dispatch',
  role: 'operator',
  organization: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: 'Acme Haulage' },
};

interface Sent {
  url: string;
  method: string;
  body: unknown;
}

/** A server that answers the login with `status`, recording what the app sent. */
function fakeFetch(status = 200) {
  const sent: Sent[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ url: String(input), method: init?.method ?? 'GET', body: JSON.parse(String(init?.body)) });
    const body =
      status === 200
        ? { accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 900, refreshToken: 'refresh-1', user: USER }
        : { error: { code: 'unauthorized', message: 'wrong e-mail or password' } };
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { impl, sent };
}

function renderScreen(language: Language, options: { status?: number; initialServerUrl?: string } = {}) {
  const server = fakeFetch(options.status);
  const preferences = memoryPreferences();
  const onSignedIn = jest.fn();
  render(
    <I18nextProvider i18n={createI18n(language)}>
      <SignInScreen
        initialServerUrl={options.initialServerUrl ?? ''}
        preferences={preferences}
        fetch={server.impl}
        onSignedIn={onSignedIn}
      />
    </I18nextProvider>,
  );
  return { server, preferences, onSignedIn };
}

describe('sign-in screen', () => {
  it('speaks English', () => {
    renderScreen('en');
    expect(screen.getByRole('heading')).toHaveTextContent('Fleet');
    expect(screen.getByLabelText('Server address')).toBeTruthy();
    expect(screen.getByLabelText('Password')).toBeTruthy();
    expect(screen.getByRole('button')).toHaveTextContent('Sign in');
  });

  it('speaks Spanish', () => {
    renderScreen('es');
    expect(screen.getByRole('heading')).toHaveTextContent('Flota');
    expect(screen.getByLabelText('Dirección del servidor')).toBeTruthy();
    expect(screen.getByLabelText('Contraseña')).toBeTruthy();
    expect(screen.getByRole('button')).toHaveTextContent('Iniciar sesión');
  });

  it('signs in as a mobile client with what was typed and remembers the server', async () => {
    const { server, preferences, onSignedIn } = renderScreen('en');
    fireEvent.changeText(screen.getByLabelText('Server address'), ' https://fleet.example.test/ ');
    fireEvent.changeText(screen.getByLabelText('E-mail'), 'dispatch@example.com');
    fireEvent.changeText(screen.getByLabelText('Password'), 'correct horse battery');
    fireEvent.press(screen.getByRole('button'));

    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    expect(server.sent).toEqual([
      {
        url: 'https://fleet.example.test/api/v1/auth/login',
        method: 'POST',
        body: { email: 'dispatch@example.com', password: 'correct horse battery', client: 'mobile' },
      },
    ]);
    expect(onSignedIn.mock.calls[0][0]).toMatchObject({
      serverUrl: 'https://fleet.example.test',
      accessToken: 'access-1',
      user: { email: 'dispatch@example.com' },
    });
    expect(preferences.values).toEqual({ serverUrl: 'https://fleet.example.test', refreshToken: 'refresh-1' });
  });

  it('starts from the remembered server address', () => {
    renderScreen('en', { initialServerUrl: 'https://remembered.example.test' });
    expect(screen.getByLabelText('Server address').props.value).toBe('https://remembered.example.test');
  });

  it('says the password is wrong, in Spanish, on a 401 and keeps nothing', async () => {
    const { preferences, onSignedIn } = renderScreen('es', {
      status: 401,
      initialServerUrl: 'https://fleet.example.test',
    });
    fireEvent.changeText(screen.getByLabelText('Correo electrónico'), 'dispatch@example.com');
    fireEvent.changeText(screen.getByLabelText('Contraseña'), 'wrong');
    fireEvent.press(screen.getByRole('button'));

    expect(await screen.findByRole('alert')).toHaveTextContent('Correo o contraseña incorrectos.');
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(preferences.values).toEqual({});
  });

  it('refuses a server address that is not http(s) without calling the network', async () => {
    const { server } = renderScreen('en');
    fireEvent.changeText(screen.getByLabelText('Server address'), 'ftp://fleet.example.test');
    fireEvent.changeText(screen.getByLabelText('E-mail'), 'dispatch@example.com');
    fireEvent.changeText(screen.getByLabelText('Password'), 'x');
    fireEvent.press(screen.getByRole('button'));

    expect(await screen.findByRole('alert')).toHaveTextContent(/must start with http:\/\/ or https:\/\//);
    expect(server.sent).toEqual([]);
  });
});
