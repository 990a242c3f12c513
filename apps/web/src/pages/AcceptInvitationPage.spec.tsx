import { PASSWORD_MIN_LENGTH } from '@fleet/contracts';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { demoUser } from '../testing/fake-api';
import { renderSignedIn } from '../testing/render';
import AcceptInvitationPage from './AcceptInvitationPage';

const TOKEN = 'invitation-token-0123456789';

describe('AcceptInvitationPage', () => {
  beforeEach(() => window.history.replaceState(null, '', `/accept-invitation?token=${TOKEN}`));

  it('refuses a password shorter than the API accepts without calling it', async () => {
    const { api } = await renderSignedIn(<AcceptInvitationPage />, {});
    await userEvent.type(screen.getByLabelText('Password'), `${'x'.repeat(PASSWORD_MIN_LENGTH - 1)}{Enter}`);
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(`At least ${PASSWORD_MIN_LENGTH} characters`);
    expect(api.requests).toHaveLength(0);
  });

  it('sends the link’s token with the chosen password and name, then says to sign in', async () => {
    const { api } = await renderSignedIn(<AcceptInvitationPage />, {
      'POST /api/v1/auth/accept-invitation': () => ({
        status: 201,
        body: { ...demoUser, disabled: false, createdAt: '2026-11-01T00:00:00.000Z' },
      }),
    });
    await userEvent.type(screen.getByLabelText('Name'), ' Ana ');
    await userEvent.type(screen.getByLabelText('Password'), 'a-long-password{Enter}');
    expect(await screen.findByText(/you can sign in now/)).toHaveAttribute('role', 'status');
    expect(api.requests[0]).toMatchObject({
      method: 'POST',
      body: { token: TOKEN, password: 'a-long-password', name: 'Ana' },
    });
  });

  it('says when the invitation is unknown, used or expired', async () => {
    await renderSignedIn(<AcceptInvitationPage />, {
      'POST /api/v1/auth/accept-invitation': () => ({
        status: 404,
        body: { error: { code: 'not_found', message: 'invitation not found' } },
      }),
    });
    await userEvent.type(screen.getByLabelText('Password'), 'a-long-password{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('This invitation is unknown, used or expired.');
  });
});
