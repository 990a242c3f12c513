import { VEHICLE_LIMITS, type Vehicle } from '@fleet/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { pageOf, renderSignedIn } from '../../testing/render';
import { VEHICLES_PAGE, VehiclesAdmin } from './VehiclesAdmin';

// wouter ships ES modules only; a plain link is all this page needs of it.
jest.mock('wouter', () => ({
  Link: ({ href, ...props }: { href: string }) => require('react').createElement('a', { href, ...props }),
}));

const vehicle = (i: number, name = `Van ${i}`): Vehicle => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name,
  plate: null,
  type: 'van',
  speedLimitKmh: null,
  color: null,
  icon: null,
  attributes: {},
  deviceIdentifier: `device-${i}`,
  deviceDisabled: false,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
});

describe('VehiclesAdmin', () => {
  it('creates a vehicle, shows its device token once and lists it', async () => {
    const all = [vehicle(1)];
    const { api } = await renderSignedIn(<VehiclesAdmin />, {
      'GET /api/v1/vehicles': (req) => pageOf(all, req.url),
      'POST /api/v1/vehicles': (req) => {
        all.push(vehicle(2, (req.body as { name: string }).name));
        return { status: 201, body: { vehicle: all[1], deviceToken: 'one-time-token' } };
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'New vehicle' }));
    expect(screen.getByLabelText('Name')).toHaveAttribute('maxLength', String(VEHICLE_LIMITS.nameMax));
    await userEvent.type(screen.getByLabelText('Name'), 'Truck 7{Enter}');
    expect(within(await screen.findByTestId('device-secret')).getByTestId('device-token')).toHaveTextContent(
      'one-time-token',
    );
    expect(await screen.findByRole('cell', { name: 'Truck 7' })).toBeInTheDocument();
    const post = api.requests.find((r) => r.method === 'POST');
    // No group offered (the organization has none): none sent.
    expect(post?.body).toEqual({ name: 'Truck 7', plate: null, type: 'car', speedLimitKmh: null });
  });

  it('searches from the first page', async () => {
    const all = Array.from({ length: VEHICLES_PAGE + 3 }, (_, i) => vehicle(i + 1));
    const { api } = await renderSignedIn(<VehiclesAdmin />, {
      'GET /api/v1/vehicles': (req) => pageOf(all, req.url),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Next' }));
    expect(await screen.findByRole('cell', { name: `Van ${VEHICLES_PAGE + 1}` })).toBeInTheDocument();
    await userEvent.type(screen.getByRole('searchbox'), 'x');
    const last = new URL(api.requests[api.requests.length - 1].url, 'http://web.test').searchParams;
    expect([last.get('q'), last.get('offset')]).toEqual(['x', '0']);
  });

  it('puts a vehicle in a group, shows each vehicle’s group and filters the list by group', async () => {
    const NORTE = '11111111-1111-4111-8111-111111111111';
    const DEPOT = '22222222-2222-4222-8222-222222222222';
    const group = (id: string, name: string, depth: number, parentId: string | null) => ({
      id,
      name,
      parentId,
      depth,
      vehicleCount: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const all = [{ ...vehicle(1), groupId: DEPOT }, vehicle(2)];
    const { api } = await renderSignedIn(<VehiclesAdmin />, {
      'GET /api/v1/vehicles': (req) => {
        const groupId = new URL(req.url, 'http://web.test').searchParams.get('groupId');
        return pageOf(groupId ? all.filter((v) => v.groupId === DEPOT) : all, req.url);
      },
      'GET /api/v1/groups': () => ({
        status: 200,
        body: { items: [group(NORTE, 'Norte', 0, null), group(DEPOT, 'Depot Norte', 1, NORTE)] },
      }),
      'POST /api/v1/vehicles': (req) => ({
        status: 201,
        body: { vehicle: { ...vehicle(3), ...(req.body as object) }, deviceToken: 'one-time-token' },
      }),
    });
    expect(await screen.findByRole('cell', { name: 'Depot Norte' })).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Group'), 'Norte');
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'Van 2' })).not.toBeInTheDocument());
    const lists = api.requests.filter((r) => r.url.startsWith('/api/v1/vehicles?'));
    expect(new URL(lists[lists.length - 1].url, 'http://web.test').searchParams.get('groupId')).toBe(NORTE);

    await userEvent.click(screen.getByRole('button', { name: 'New vehicle' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Truck 8');
    const form = screen.getByRole('form');
    await userEvent.selectOptions(within(form).getByLabelText('Group'), DEPOT);
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await screen.findByTestId('device-secret');
    expect(api.requests.find((r) => r.method === 'POST')?.body).toMatchObject({ name: 'Truck 8', groupId: DEPOT });
  });
});
