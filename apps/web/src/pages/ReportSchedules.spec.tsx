import type { ReportRun, ReportSchedule } from '@fleet/contracts';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderSignedIn } from '../testing/render';
import { ReportSchedules, validateReportSchedule, type ScheduleDraft } from './ReportSchedules';

const ID = '00000000-0000-4000-8000-000000000001';
const VEHICLE = '00000000-0000-4000-8000-0000000000aa';
const GROUP = '00000000-0000-4000-8000-0000000000bb';
const schedule: ReportSchedule = {
  id: ID,
  name: 'Weekly trips',
  kind: 'trips',
  vehicleIds: [VEHICLE],
  groupIds: [],
  recipients: ['ops@example.com'],
  timing: { frequency: 'weekly', weekday: 1, hour: 7 },
  timeZone: 'Europe/Madrid',
  language: 'en',
  enabled: true,
  nextRunAt: '2026-12-14T06:00:00.000Z',
  lastRunAt: null,
  lastStatus: 'failed',
  lastError: 'smtp_550: mailbox unavailable',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
};
const run: ReportRun = {
  id: '3',
  scheduleId: ID,
  periodFrom: '2026-11-30T23:00:00.000Z',
  periodTo: '2026-12-07T23:00:00.000Z',
  status: 'pending',
  attempts: 0,
  error: null,
  sentAt: null,
  createdAt: '2026-12-08T06:00:00.000Z',
};
const vehicles = () => ({
  status: 200,
  body: {
    items: [
      {
        id: VEHICLE,
        name: 'Van 1',
        plate: null,
        type: 'van',
        speedLimitKmh: 90,
        color: null,
        icon: null,
        attributes: {},
        deviceIdentifier: 'van-1',
        deviceDisabled: false,
        createdAt: '2026-12-01T00:00:00.000Z',
        updatedAt: '2026-12-01T00:00:00.000Z',
      },
    ],
    total: 1,
    limit: 500,
    offset: 0,
  },
});

const groups = () => ({
  status: 200,
  body: {
    items: [
      {
        id: GROUP,
        parentId: null,
        name: 'Depot South',
        depth: 0,
        vehicleCount: 1,
        createdAt: '2026-12-01T00:00:00.000Z',
        updatedAt: '2026-12-01T00:00:00.000Z',
      },
    ],
  },
});

describe('ReportSchedules', () => {
  it('lists the schedules with their timing and last error, and sends one now', async () => {
    const runs: unknown[] = [];
    await renderSignedIn(<ReportSchedules />, {
      'GET /api/v1/report-schedules': () => ({ status: 200, body: { items: [schedule] } }),
      'GET /api/v1/vehicles': vehicles,
      'GET /api/v1/groups': groups,
      [`POST /api/v1/report-schedules/${ID}/run`]: () => {
        runs.push(ID);
        return { status: 202, body: run };
      },
      [`GET /api/v1/report-schedules/${ID}/runs`]: () => ({ status: 200, body: { items: [run] } }),
    });
    expect(await screen.findByText('Weekly trips')).toBeInTheDocument();
    expect(screen.getByText('Every Monday at 07:00 Europe/Madrid')).toBeInTheDocument();
    expect(screen.getByText(/smtp_550: mailbox unavailable/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Send now' }));
    await waitFor(() => expect(runs).toHaveLength(1));
    expect(await screen.findByText(/Queued/)).toBeInTheDocument();
  });

  it('creates a schedule from the form, sending what the API expects', async () => {
    const created: unknown[] = [];
    await renderSignedIn(<ReportSchedules />, {
      'GET /api/v1/report-schedules': () => ({ status: 200, body: { items: [] } }),
      'GET /api/v1/vehicles': vehicles,
      'GET /api/v1/groups': groups,
      'POST /api/v1/report-schedules': (req) => {
        created.push(req.body);
        return { status: 201, body: schedule };
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'New scheduled report' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Monthly summary');
    await userEvent.selectOptions(screen.getByLabelText('Report'), 'summary');
    await userEvent.type(screen.getByLabelText('Recipients (e-mail)'), 'ops@example.com, boss@example.com');
    await userEvent.selectOptions(screen.getByLabelText('Frequency'), 'monthly');
    await userEvent.clear(screen.getByLabelText(/Day of the month/));
    await userEvent.type(screen.getByLabelText(/Day of the month/), '31');
    await userEvent.clear(screen.getByLabelText('Hour (0–23)'));
    await userEvent.type(screen.getByLabelText('Hour (0–23)'), '6');
    await userEvent.clear(screen.getByLabelText('Time zone'));
    await userEvent.type(screen.getByLabelText('Time zone'), 'Europe/Madrid');
    await userEvent.click(await screen.findByLabelText('Van 1'));
    await userEvent.click(await screen.findByLabelText('Depot South'));
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(created).toHaveLength(1));
    expect(created[0]).toEqual({
      name: 'Monthly summary',
      kind: 'summary',
      vehicleIds: [VEHICLE],
      groupIds: [GROUP],
      recipients: ['ops@example.com', 'boss@example.com'],
      timing: { frequency: 'monthly', dayOfMonth: 31, hour: 6 },
      timeZone: 'Europe/Madrid',
      language: 'en',
      enabled: true,
    });
  });
});

describe('validateReportSchedule', () => {
  const base: ScheduleDraft = {
    name: 'x',
    kind: 'trips',
    vehicleIds: [VEHICLE],
    groupIds: [],
    recipients: 'a@b.example',
    frequency: 'monthly',
    weekday: 1,
    dayOfMonth: '31',
    hour: '23',
    timeZone: 'UTC',
    language: 'en',
    enabled: true,
  };
  it('names each bad field', () => {
    expect(validateReportSchedule(base)).toEqual({});
    expect(
      validateReportSchedule({
        ...base,
        recipients: 'a@b.example, nope',
        vehicleIds: [],
        hour: '24',
        dayOfMonth: '0',
        timeZone: 'Mars/Olympus',
      }),
    ).toEqual({
      recipients: 'validation.email',
      vehicleIds: 'reportSchedules.pickVehicle',
      hour: 'reportSchedules.badHour',
      dayOfMonth: 'reportSchedules.badDay',
      timeZone: 'notifications.badTimeZone',
    });
    expect(validateReportSchedule({ ...base, kind: 'events', vehicleIds: [] })).toEqual({});
    // A group instead of vehicles.
    expect(validateReportSchedule({ ...base, vehicleIds: [], groupIds: [GROUP] })).toEqual({});
  });
});
