import type { MaintenanceRecord, MaintenanceRule, VehicleMaintenance } from '@fleet/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import i18next from 'i18next';
import { initI18n, setLanguage } from '../i18n';
import { renderSignedIn } from '../testing/render';
import { describeEvent } from './event-text';
import MaintenancePage, { validateMaintenanceRule } from './MaintenancePage';

const RULE_ID = '00000000-0000-4000-8000-000000000001';
const VAN = '00000000-0000-4000-8000-0000000000a1';
const TRUCK = '00000000-0000-4000-8000-0000000000a2';
const rule: MaintenanceRule = {
  id: RULE_ID,
  name: 'Oil change',
  vehicleId: null,
  groupId: null,
  everyKm: 15_000,
  everyEngineHours: null,
  everyMonths: 12,
  notifyBeforeKm: 500,
  notifyBeforeEngineHours: 0,
  notifyBeforeDays: 14,
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const status = (id: string, name: string, km: number, due: boolean, overdue: boolean): VehicleMaintenance => ({
  vehicleId: id,
  vehicleName: name,
  odometerKm: km,
  engineHours: 120.5,
  countedAt: '2026-12-01T00:00:00.000Z',
  rules: [
    {
      ruleId: RULE_ID,
      ruleName: 'Oil change',
      lastService: null,
      nextKm: 15_000,
      nextEngineHours: null,
      nextAt: '2027-01-01T00:00:00.000Z',
      due,
      overdue,
    },
  ],
});
const record: MaintenanceRecord = {
  id: '00000000-0000-4000-8000-0000000000f1',
  vehicleId: TRUCK,
  ruleId: RULE_ID,
  ruleName: 'Oil change',
  doneAt: '2026-12-02T10:00:00.000Z',
  odometerKm: 15_200,
  engineHours: 120.5,
  note: 'synthetic oil',
  userId: null,
  userName: 'Ana',
  createdAt: '2026-12-02T10:00:00.000Z',
};

const routes = (extra: Parameters<typeof renderSignedIn>[1] = {}) => ({
  'GET /api/v1/maintenance/status': () => ({
    status: 200,
    // As the API sends them: overdue first.
    body: { items: [status(TRUCK, 'Truck 9', 15_200, true, true), status(VAN, 'Van 1', 2_000, false, false)] },
  }),
  'GET /api/v1/maintenance/rules': () => ({ status: 200, body: { items: [rule] } }),
  'GET /api/v1/vehicles': () => ({ status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } }),
  'GET /api/v1/groups': () => ({ status: 200, body: { items: [] } }),
  ...extra,
});

describe('MaintenancePage', () => {
  it('lists the vehicles with their state per rule, overdue first, and the rules', async () => {
    await renderSignedIn(<MaintenancePage />, routes());
    const table = await screen.findByTestId('maintenance-status');
    await within(table).findByText('Truck 9');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('Truck 9');
    expect(rows[0]).toHaveTextContent('Overdue');
    expect(rows[1]).toHaveTextContent('Van 1');
    expect(rows[1]).toHaveTextContent('OK');
    const rules = await screen.findByTestId('maintenance-rules');
    expect(within(rules).getByText('Oil change')).toBeInTheDocument();
    expect(within(rules).getByText('Every vehicle')).toBeInTheDocument();
  });

  it('marks a service done with a note and shows the vehicle’s history', async () => {
    const done: unknown[] = [];
    await renderSignedIn(
      <MaintenancePage />,
      routes({
        [`POST /api/v1/vehicles/${TRUCK}/maintenance/records`]: (req) => {
          done.push(req.body);
          return { status: 201, body: record };
        },
        [`GET /api/v1/vehicles/${TRUCK}/maintenance/records`]: () => ({
          status: 200,
          body: { items: [record], total: 1, limit: 100, offset: 0 },
        }),
      }),
    );
    const table = await screen.findByTestId('maintenance-status');
    const truck = (await within(table).findByText('Truck 9')).closest('tr') as HTMLElement;
    await userEvent.click(within(truck).getByRole('button', { name: 'Mark done' }));
    await userEvent.type(screen.getByLabelText('Note'), 'synthetic oil');
    await userEvent.click(
      within(screen.getByRole('form', { name: /Service done on Truck 9/ })).getByRole('button', { name: 'Mark done' }),
    );
    await waitFor(() => expect(done).toEqual([{ ruleId: RULE_ID, note: 'synthetic oil' }]));

    await userEvent.click(within(truck).getByRole('button', { name: 'History' }));
    expect(await screen.findByText(/synthetic oil/)).toBeInTheDocument();
    expect(screen.getByText(/Ana/)).toBeInTheDocument();
  });

  it('creates a rule from the form, sending what the API expects', async () => {
    const created: unknown[] = [];
    await renderSignedIn(
      <MaintenancePage />,
      routes({
        'POST /api/v1/maintenance/rules': (req) => {
          created.push(req.body);
          return { status: 201, body: rule };
        },
      }),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    const form = screen.getByRole('form', { name: 'New rule' });
    await userEvent.type(within(form).getByLabelText('Name'), 'Tyres');
    await userEvent.type(within(form).getByLabelText('Every (km)'), '40000');
    await userEvent.clear(within(form).getByLabelText('Notice (km before)'));
    await userEvent.type(within(form).getByLabelText('Notice (km before)'), '1000');
    await userEvent.click(within(form).getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(created).toHaveLength(1));
    expect(created[0]).toEqual({
      name: 'Tyres',
      vehicleId: null,
      groupId: null,
      everyKm: 40_000,
      everyEngineHours: null,
      everyMonths: null,
      notifyBeforeKm: 1000,
      notifyBeforeEngineHours: 0,
      notifyBeforeDays: 0,
      enabled: true,
    });
  });
});

describe('validateMaintenanceRule', () => {
  const base = {
    name: 'Oil',
    target: 'organization' as const,
    vehicleId: '',
    groupId: '',
    everyKm: '15000',
    everyEngineHours: '',
    everyMonths: '',
    notifyBeforeKm: '0',
    notifyBeforeEngineHours: '0',
    notifyBeforeDays: '0',
    enabled: true,
  };
  it('names each bad field', () => {
    expect(validateMaintenanceRule(base)).toEqual({});
    expect(validateMaintenanceRule({ ...base, everyKm: '' })).toEqual({ everyKm: 'maintenance.someInterval' });
    expect(
      validateMaintenanceRule({
        ...base,
        name: ' ',
        target: 'vehicle',
        everyKm: '-5',
        everyMonths: '1.5',
        notifyBeforeDays: '-1',
      }),
    ).toEqual({
      name: 'validation.required',
      vehicleId: 'validation.required',
      everyKm: 'maintenance.positive',
      everyMonths: 'maintenance.whole',
      notifyBeforeDays: 'maintenance.notNegative',
    });
  });
});

describe('describeEvent for maintenance due', () => {
  beforeAll(() => initI18n('en'));
  afterAll(() => setLanguage('en'));

  it('names the rule in English and Spanish', async () => {
    const event = { type: 'maintenance_due' as const, attributes: { ruleName: 'Oil change', reason: 'km' } };
    expect(describeEvent(i18next.t, event, 'Van 3')).toBe('Van 3 is due for maintenance: Oil change');
    await setLanguage('es');
    expect(describeEvent(i18next.t, event, 'Van 3')).toBe('Van 3 necesita mantenimiento: Oil change');
  });
});
