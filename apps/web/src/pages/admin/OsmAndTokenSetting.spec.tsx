import type { Organization } from '@fleet/contracts';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderSignedIn } from '../../testing/render';
import { OsmAndTokenSetting } from './OsmAndTokenSetting';

const organization: Organization = {
  id: '5d1f3c2a-7b8e-4f90-a1b2-c3d4e5f6a7b8',
  name: 'Acme',
  slug: 'acme',
  positionRetentionDays: null,
  eventRetentionDays: null,
  osmandTokenRequired: false,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
};

function routes() {
  let current = { ...organization };
  return {
    'GET /api/v1/organization': () => ({ status: 200, body: current }),
    'PATCH /api/v1/organization': (req: { body: unknown }) => {
      current = { ...current, ...(req.body as Partial<Organization>) };
      return { status: 200, body: current };
    },
  };
}

describe('OsmAndTokenSetting', () => {
  let confirm: jest.SpyInstance;
  beforeEach(() => (confirm = jest.spyOn(window, 'confirm')));
  afterEach(() => confirm.mockRestore());

  it('explains the setting and requires the token only once the admin accepts the warning', async () => {
    const { api } = await renderSignedIn(<OsmAndTokenSetting />, routes());
    const box = await screen.findByRole('checkbox', { name: 'Require the device token' });
    expect(box).not.toBeChecked();
    expect(box).toHaveAccessibleDescription(/must also send its device token/);
    expect(box).toHaveAccessibleDescription(/refuses every device configured without its token/);

    confirm.mockReturnValueOnce(false);
    await userEvent.click(box);
    expect(confirm).toHaveBeenLastCalledWith(expect.stringContaining('will be refused'));
    expect(box).not.toBeChecked();
    expect(api.requests.filter((r) => r.method === 'PATCH')).toEqual([]);

    confirm.mockReturnValueOnce(true);
    await userEvent.click(box);
    await waitFor(() => expect(box).toBeChecked());
    expect(screen.getByText(/devices configured without their token are refused/)).toBeInTheDocument();
    expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([
      { osmandTokenRequired: true },
    ]);
  });

  it('turns the requirement off without asking', async () => {
    const scripted = routes();
    const { api } = await renderSignedIn(<OsmAndTokenSetting />, {
      ...scripted,
      'GET /api/v1/organization': () => ({ status: 200, body: { ...organization, osmandTokenRequired: true } }),
    });
    const box = await screen.findByRole('checkbox', { name: 'Require the device token' });
    expect(box).toBeChecked();
    await userEvent.click(box);
    await waitFor(() =>
      expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([
        { osmandTokenRequired: false },
      ]),
    );
    expect(confirm).not.toHaveBeenCalled();
  });

  it('says what the server refused', async () => {
    await renderSignedIn(<OsmAndTokenSetting />, {
      ...routes(),
      'PATCH /api/v1/organization': () => ({
        status: 403,
        body: { error: { code: 'forbidden', message: 'admins only' } },
      }),
    });
    confirm.mockReturnValue(true);
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Require the device token' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('admins only');
    expect(screen.getByRole('checkbox', { name: 'Require the device token' })).not.toBeChecked();
  });
});
