import type { Driver, DriverAssignment } from '@fleet/contracts';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { pageOf, renderSignedIn } from '../../testing/render';
import { DriversAdmin, driverBody, validateDriver } from './DriversAdmin';
import { VehicleDriverPanel } from './VehicleDriverPanel';

const driver = (i: number, over: Partial<Driver> = {}): Driver => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name: `Driver ${i}`,
  licenceNumber: null,
  licenceExpiresOn: null,
  uniqueId: null,
  phone: null,
  notes: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

const empty = { name: '', licenceNumber: '', licenceExpiresOn: '', uniqueId: '', phone: '', notes: '' };

describe('driver form rules', () => {
  it('needs a name and an identifier the API accepts, and sends empty fields as null', () => {
    expect(validateDriver(empty)).toEqual({ name: 'validation.required' });
    expect(validateDriver({ ...empty, name: 'Ana', uniqueId: 'has space' })).toEqual({
      uniqueId: 'drivers.uniqueIdInvalid',
    });
    expect(validateDriver({ ...empty, name: 'Ana', uniqueId: ' 01000000ABCDEF2D ' })).toEqual({});
    expect(driverBody({ ...empty, name: ' Ana ', uniqueId: ' CARD-1 ', licenceExpiresOn: '2030-05-31' })).toEqual({
      name: 'Ana',
      licenceNumber: null,
      licenceExpiresOn: '2030-05-31',
      uniqueId: 'CARD-1',
      phone: null,
      notes: null,
    });
  });
});

describe('DriversAdmin', () => {
  it('creates a driver with their card identifier and lists it', async () => {
    const all = [driver(1)];
    const { api } = await renderSignedIn(<DriversAdmin />, {
      'GET /api/v1/drivers': (req) => pageOf(all, req.url),
      'POST /api/v1/drivers': (req) => {
        const body = req.body as Partial<Driver>;
        all.push(driver(2, body));
        return { status: 201, body: all[1] };
      },
    });
    expect(await screen.findByRole('cell', { name: 'Driver 1' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'New driver' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Ana Pérez');
    await userEvent.type(screen.getByLabelText('Card / key identifier'), '01000000ABCDEF2D');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByRole('cell', { name: 'Ana Pérez' })).toBeInTheDocument();
    expect(screen.getByText('01000000ABCDEF2D')).toBeInTheDocument();
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.body).toMatchObject({ name: 'Ana Pérez', uniqueId: '01000000ABCDEF2D', phone: null });
  });

  it('says at the identifier when another driver has it (409), and sends nothing without a name', async () => {
    const { api } = await renderSignedIn(<DriversAdmin />, {
      'GET /api/v1/drivers': (req) => pageOf([driver(1, { uniqueId: 'CARD-1' })], req.url),
      'PATCH /api/v1/drivers/00000000-0000-4000-8000-000000000001': () => ({
        status: 409,
        body: { error: { code: 'conflict', message: 'another driver of this organization has this identifier' } },
      }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Edit Driver 1' }));
    await userEvent.clear(screen.getByLabelText('Name'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    await userEvent.type(screen.getByLabelText('Name'), 'Bea');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Another driver has this identifier')).toBeInTheDocument();
    expect(screen.getByLabelText('Card / key identifier')).toHaveAttribute('aria-invalid', 'true');
  });

  it('deletes a driver after confirming', async () => {
    let all = [driver(1), driver(2)];
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    await renderSignedIn(<DriversAdmin />, {
      'GET /api/v1/drivers': (req) => pageOf(all, req.url),
      'DELETE /api/v1/drivers/00000000-0000-4000-8000-000000000002': () => {
        all = all.slice(0, 1);
        return { status: 204 };
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Delete Driver 2' }));
    expect(confirm).toHaveBeenCalledWith('Delete the driver Driver 2 and their assignment history?');
    await screen.findByRole('cell', { name: 'Driver 1' });
    expect(await screen.findByRole('table')).not.toHaveTextContent('Driver 2');
    confirm.mockRestore();
  });
});

describe('a driver’s vehicles', () => {
  it('lists the vehicles the driver drove, newest first, from the drivers page', async () => {
    const ana = driver(1, { name: 'Ana' });
    const rows: DriverAssignment[] = [
      {
        id: '20000000-0000-4000-8000-000000000002',
        vehicleId: '00000000-0000-4000-8000-0000000000f2',
        vehicleName: 'Van 2',
        driverId: ana.id,
        driverName: 'Ana',
        startedAt: '2026-12-07T08:00:00.000Z',
        endedAt: null,
        source: 'manual',
      },
      {
        id: '20000000-0000-4000-8000-000000000001',
        vehicleId: '00000000-0000-4000-8000-0000000000f1',
        vehicleName: 'Van 1',
        driverId: ana.id,
        driverName: 'Ana',
        startedAt: '2026-12-07T06:00:00.000Z',
        endedAt: '2026-12-07T08:00:00.000Z',
        source: 'auto',
      },
    ];
    await renderSignedIn(<DriversAdmin />, {
      'GET /api/v1/drivers': (req) => pageOf([ana], req.url),
      [`GET /api/v1/drivers/${ana.id}/assignments`]: (req) => pageOf(rows, req.url),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Vehicles driven by Ana' }));
    const panel = await screen.findByRole('region', { name: 'Vehicles driven by Ana' });
    await within(panel).findByText(/^Van 2/);
    expect(
      within(panel)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      expect.stringMatching(/^Van 2 · .* – now · by hand$/),
      expect.stringMatching(/^Van 1 · .* – .* · from the tracker$/),
    ]);
  });
});

describe('VehicleDriverPanel', () => {
  const vehicleId = '00000000-0000-4000-8000-0000000000f1';
  const assignment = (d: Driver, over: Partial<DriverAssignment> = {}): DriverAssignment => ({
    id: `10000000-0000-4000-8000-${d.id.slice(-12)}`,
    vehicleId,
    vehicleName: 'Van 1',
    driverId: d.id,
    driverName: d.name,
    startedAt: '2026-12-07T06:00:00.000Z',
    endedAt: null,
    source: 'auto',
    ...over,
  });

  it('shows the current driver, assigns another by hand and unassigns', async () => {
    const ana = driver(1, { name: 'Ana' });
    const bea = driver(2, { name: 'Bea' });
    let current: DriverAssignment | null = assignment(ana);
    const history: DriverAssignment[] = [current];
    const { api } = await renderSignedIn(
      <VehicleDriverPanel vehicle={{ id: vehicleId, name: 'Van 1' }} onClose={() => undefined} />,
      {
        'GET /api/v1/drivers': (req) => pageOf([ana, bea], req.url),
        [`GET /api/v1/vehicles/${vehicleId}/driver`]: () => ({
          status: 200,
          body: { assignment: current, driver: current ? (current.driverId === ana.id ? ana : bea) : null },
        }),
        [`GET /api/v1/vehicles/${vehicleId}/driver-assignments`]: (req) => pageOf(history, req.url),
        [`PUT /api/v1/vehicles/${vehicleId}/driver`]: () => {
          history[0] = { ...history[0], endedAt: '2026-12-07T08:00:00.000Z' };
          current = assignment(bea, { source: 'manual', startedAt: '2026-12-07T08:00:00.000Z' });
          history.unshift(current);
          return { status: 200, body: current };
        },
        [`DELETE /api/v1/vehicles/${vehicleId}/driver`]: () => {
          current = null;
          return { status: 204 };
        },
      },
    );
    const now = await screen.findByTestId('current-driver');
    expect(now).toHaveTextContent('Ana since');
    expect(now).toHaveTextContent('(from the tracker)');
    // The current driver is not offered again.
    const select = screen.getByLabelText('Assign a driver');
    expect(within(select).queryByRole('option', { name: 'Ana' })).toBeNull();
    await userEvent.selectOptions(select, 'Bea');
    await userEvent.click(screen.getByRole('button', { name: 'Assign' }));
    expect(await screen.findByText(/Bea since .* \(by hand\)/)).toBeInTheDocument();
    expect(api.requests.find((r) => r.method === 'PUT')?.body).toEqual({ driverId: bea.id });
    await userEvent.click(screen.getByRole('button', { name: 'Unassign' }));
    expect(await screen.findByText('Nobody is assigned.')).toBeInTheDocument();
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringMatching(/^Bea · .* – now · by hand$/),
      expect.stringMatching(/^Ana · .* – .* · from the tracker$/),
    ]);
  });
});
