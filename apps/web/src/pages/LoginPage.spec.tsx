import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SessionProvider } from '../session/context';
import { Session } from '../session/session';
import { fakeApi, tokenAnswer } from '../testing/fake-api';
import { LoginPage } from './LoginPage';

function setup(answer: Parameters<typeof fakeApi>[0][string]) {
  const api = fakeApi({ 'POST /api/v1/auth/login': answer });
  const session = new Session({ fetch: api.fetch });
  render(
    <SessionProvider session={session}>
      <LoginPage />
    </SessionProvider>,
  );
  return { api, session };
}

describe('LoginPage', () => {
  it('points at each missing or malformed field without calling the server', async () => {
    const { api } = setup(() => tokenAnswer('t'));
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('E-mail')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('Required');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Required');
    await userEvent.type(screen.getByLabelText('E-mail'), 'demo');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription(/e-mail address/);
    expect(api.requests).toHaveLength(0);
  });

  it('signs in as a web client (refresh token in a cookie) with what was typed', async () => {
    const { api, session } = setup(() => tokenAnswer('t'));
    await userEvent.type(screen.getByLabelText('E-mail'), 'demo@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'demo-fleet-2026{Enter}');
    expect(api.requests[0].body).toEqual({ email: 'demo@example.com', password: 'demo-fleet-2026', client: 'web' });
    expect(session.getState().status).toBe('signedIn');
  });

  it('says so when the password is wrong, as an alert', async () => {
    setup(() => ({ status: 401, body: { error: { code: 'unauthorized', message: 'invalid credentials' } } }));
    await userEvent.type(screen.getByLabelText('E-mail'), 'demo@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'nope{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong e-mail or password.');
  });
});
