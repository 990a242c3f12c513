import type { User } from '@fleet/contracts';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { demoUser } from '../../testing/fake-api';
import { pageOf, renderSignedIn } from '../../testing/render';
import { USERS_PAGE, UsersAdmin } from './UsersAdmin';

const user = (i: number): User => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  email: `user${i}@example.com`,
  name: `User ${i}`,
  role: 'viewer',
  disabled: false,
  createdAt: '2026-11-01T00:00:00.000Z',
});

describe('UsersAdmin', () => {
  it('pages through every user of a large organization (none are left out past the first page)', async () => {
    const total = 2 * USERS_PAGE + 7;
    const all = Array.from({ length: total }, (_, i) => user(i + 1));
    const { api } = await renderSignedIn(<UsersAdmin />, { 'GET /api/v1/users': (req) => pageOf(all, req.url) });
    expect(await screen.findByText('user1@example.com')).toBeInTheDocument();
    expect(screen.getByText(`1–${USERS_PAGE} of ${total}`)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText(`user${USERS_PAGE + 1}@example.com`)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText(`user${total}@example.com`)).toBeInTheDocument();
    expect(screen.getByText(`${2 * USERS_PAGE + 1}–${total} of ${total}`)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
    const toUsers = api.requests.filter((r) => r.url.startsWith('/api/v1/users'));
    expect(toUsers.map((r) => new URL(r.url, 'http://web.test').searchParams.get('offset'))).toEqual([
      '0',
      String(USERS_PAGE),
      String(2 * USERS_PAGE),
    ]);
    // getByRole over 50 rows of buttons is slow in jsdom on a loaded machine: more than the 5 s default.
  }, 30_000);

  it('changes a role and shows the list as the server now has it', async () => {
    const all = [{ ...user(1), id: demoUser.id, role: 'admin' as const }, user(2)];
    const { api } = await renderSignedIn(<UsersAdmin />, {
      'GET /api/v1/users': (req) => pageOf(all, req.url),
      [`PATCH /api/v1/users/${user(2).id}`]: (req) => {
        all[1] = { ...all[1], ...(req.body as Partial<User>) };
        return { status: 200, body: all[1] };
      },
    });
    await userEvent.selectOptions(await screen.findByLabelText('Role of user2@example.com'), 'operator');
    await waitFor(() => expect(screen.getByLabelText('Role of user2@example.com')).toHaveValue('operator'));
    const toUsers = api.requests.filter((r) => r.url.startsWith('/api/v1/users'));
    expect(toUsers.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'GET /api/v1/users',
      `PATCH /api/v1/users/${user(2).id}`,
      'GET /api/v1/users',
    ]);
    expect(toUsers[1].body).toEqual({ role: 'operator' });
    // The signed-in admin cannot demote themselves.
    expect(screen.getByLabelText('Role of user1@example.com')).toBeDisabled();
  });

  it('says what the server refused, once, as an alert', async () => {
    await renderSignedIn(<UsersAdmin />, {
      'GET /api/v1/users': (req) => pageOf([user(1), user(2)], req.url),
      [`PATCH /api/v1/users/${user(2).id}`]: () => ({
        status: 409,
        body: { error: { code: 'conflict', message: 'the last admin cannot be demoted' } },
      }),
    });
    const [, disable] = await screen.findAllByRole('button', { name: 'Disable' });
    await userEvent.click(disable);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Something went wrong: the last admin cannot be demoted',
    );
  });

  it('deletes a user once the admin confirms, and lists the users as the server now has them', async () => {
    let all = [{ ...user(1), id: demoUser.id, role: 'admin' as const }, user(2), user(3)];
    const { api } = await renderSignedIn(<UsersAdmin />, {
      'GET /api/v1/users': (req) => pageOf(all, req.url),
      [`DELETE /api/v1/users/${user(2).id}`]: () => {
        all = all.filter((u) => u.id !== user(2).id);
        return { status: 204 };
      },
    });
    const confirm = jest.spyOn(window, 'confirm');
    try {
      // Declined: nothing is sent.
      confirm.mockReturnValueOnce(false);
      await userEvent.click(await screen.findByRole('button', { name: 'Delete the user user2@example.com' }));
      expect(confirm).toHaveBeenLastCalledWith(expect.stringContaining('Delete the user user2@example.com?'));
      expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
      // Agreed: deleted, and gone from the list.
      confirm.mockReturnValueOnce(true);
      await userEvent.click(screen.getByRole('button', { name: 'Delete the user user2@example.com' }));
      await waitFor(() => expect(screen.queryByText('user2@example.com')).not.toBeInTheDocument());
      expect(screen.getByText('user3@example.com')).toBeInTheDocument();
      expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([
        `/api/v1/users/${user(2).id}`,
      ]);
    } finally {
      confirm.mockRestore();
    }
    // Your own row offers no delete.
    expect(screen.queryByRole('button', { name: 'Delete the user user1@example.com' })).not.toBeInTheDocument();
  });

  it('shows why the server refused a deletion (the last admin)', async () => {
    const admin = { ...user(2), role: 'admin' as const };
    await renderSignedIn(<UsersAdmin />, {
      'GET /api/v1/users': (req) => pageOf([user(1), admin], req.url),
      [`DELETE /api/v1/users/${admin.id}`]: () => ({
        status: 409,
        body: { error: { code: 'conflict', message: 'cannot delete the last admin' } },
      }),
    });
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    try {
      await userEvent.click(await screen.findByRole('button', { name: 'Delete the user user2@example.com' }));
      expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong: cannot delete the last admin');
      expect(screen.getByText('user2@example.com')).toBeInTheDocument();
    } finally {
      confirm.mockRestore();
    }
  });

  it('limits an operator to vehicle groups (several, or none for the whole organization); admins are not offered it', async () => {
    const NORTE = '11111111-1111-4111-8111-111111111111';
    const SUR = '22222222-2222-4222-8222-222222222222';
    const group = (id: string, name: string) => ({
      id,
      name,
      parentId: null,
      depth: 0,
      vehicleCount: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const all: User[] = [
      { ...user(1), id: demoUser.id, role: 'admin' },
      { ...user(2), role: 'operator' },
    ];
    const { api } = await renderSignedIn(<UsersAdmin />, {
      'GET /api/v1/users': (req) => pageOf(all, req.url),
      'GET /api/v1/groups': () => ({ status: 200, body: { items: [group(NORTE, 'Norte'), group(SUR, 'Sur')] } }),
      [`PATCH /api/v1/users/${user(2).id}`]: (req) => {
        all[1] = { ...all[1], ...(req.body as Partial<User>) };
        return { status: 200, body: all[1] };
      },
    });
    const scope = await screen.findByLabelText('Groups of user2@example.com');
    expect(screen.getByText('Whole organization')).toBeInTheDocument();
    expect(screen.queryByLabelText('Groups of user1@example.com')).not.toBeInTheDocument();
    expect(screen.getByText('Admins see the whole organization')).toBeInTheDocument();
    await userEvent.selectOptions(scope, 'Sur');
    await waitFor(() => expect(screen.queryByText('Whole organization')).not.toBeInTheDocument());
    const patches = api.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.body)).toEqual([{ groupIds: [SUR] }]);
  });
});
