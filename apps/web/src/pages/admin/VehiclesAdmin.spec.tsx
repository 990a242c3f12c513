import { VEHICLE_LIMITS, type Vehicle } from '@fleet/contracts';
import { screen, within } from '@testing-library/react';
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
    expect(api.requests[1].body).toEqual({ name: 'Truck 7', plate: null, type: 'car', speedLimitKmh: null });
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
});
