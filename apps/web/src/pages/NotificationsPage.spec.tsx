import type { NotificationDelivery, NotificationRule } from '@fleet/contracts';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderSignedIn } from '../testing/render';
import NotificationsPage, { validateNotificationRule } from './NotificationsPage';

const RULE_ID = '00000000-0000-4000-8000-000000000001';
const rule: NotificationRule = {
  id: RULE_ID,
  name: 'Night shift',
  eventTypes: ['geofence_enter'],
  vehicleIds: [],
  groupIds: [],
  targets: { email: 'ops@example.com', telegramChatId: null },
  language: 'en',
  timeZone: 'Europe/Madrid',
  quietHours: { start: '22:00', end: '07:00', mode: 'defer' },
  enabled: true,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
};
const delivery: NotificationDelivery = {
  id: '7',
  ruleId: RULE_ID,
  ruleName: 'Night shift',
  eventId: null,
  eventType: 'test',
  channel: 'email',
  status: 'failed',
  attempts: 1,
  nextAttemptAt: null,
  lastError: 'smtp_550: mailbox unavailable',
  sentAt: null,
  createdAt: '2026-12-01T00:00:00.000Z',
};

describe('NotificationsPage', () => {
  it('lists the rules and the delivery log with its errors', async () => {
    await renderSignedIn(<NotificationsPage />, {
      'GET /api/v1/notification-rules': () => ({ status: 200, body: { items: [rule] } }),
      'GET /api/v1/notification-deliveries': () => ({ status: 200, body: { items: [delivery], nextCursor: null } }),
      'GET /api/v1/vehicles': () => ({ status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } }),
    });
    expect(await screen.findByText('Night shift')).toBeInTheDocument();
    expect(screen.getByText(/22:00–07:00/)).toBeInTheDocument();
    expect(await screen.findByText(/smtp_550: mailbox unavailable/)).toBeInTheDocument();
  });

  it('creates a rule from the form, sending what the API expects', async () => {
    const created: unknown[] = [];
    const { api } = await renderSignedIn(<NotificationsPage />, {
      'GET /api/v1/notification-rules': () => ({ status: 200, body: { items: [] } }),
      'GET /api/v1/notification-deliveries': () => ({ status: 200, body: { items: [], nextCursor: null } }),
      'GET /api/v1/vehicles': () => ({ status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } }),
      'POST /api/v1/notification-rules': (req) => {
        created.push(req.body);
        return { status: 201, body: rule };
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Night shift');
    await userEvent.type(screen.getByLabelText('E-mail'), 'ops@example.com');
    await userEvent.clear(screen.getByLabelText('Time zone'));
    await userEvent.type(screen.getByLabelText('Time zone'), 'Europe/Madrid');
    await userEvent.click(screen.getByLabelText('Geofence entered'));
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(created).toHaveLength(1));
    expect(created[0]).toEqual({
      name: 'Night shift',
      eventTypes: ['geofence_enter'],
      vehicleIds: [],
      groupIds: [],
      targets: { email: 'ops@example.com', telegramChatId: null },
      language: 'en',
      timeZone: 'Europe/Madrid',
      quietHours: null,
      enabled: true,
    });
    expect(api.requests.some((r) => r.method === 'POST')).toBe(true);
  });
});

describe('validateNotificationRule', () => {
  const base = {
    name: 'x',
    eventTypes: ['overspeed' as const],
    vehicleIds: [],
    groupIds: [],
    email: 'a@b.example',
    telegramChatId: '',
    language: 'en' as const,
    timeZone: 'UTC',
    quiet: true,
    quietStart: '22:00',
    quietEnd: '07:00',
    quietMode: 'defer' as const,
    enabled: true,
  };
  it('names each bad field', () => {
    expect(validateNotificationRule(base)).toEqual({});
    expect(
      validateNotificationRule({
        ...base,
        email: 'nope',
        telegramChatId: 'chat',
        timeZone: 'Mars/Olympus',
        quietStart: '24:00',
        eventTypes: [],
      }),
    ).toEqual({
      email: 'validation.email',
      telegramChatId: 'notifications.badChatId',
      timeZone: 'notifications.badTimeZone',
      quietStart: 'notifications.badTime',
      eventTypes: 'notifications.pickEventType',
    });
    expect(validateNotificationRule({ ...base, email: '' })).toEqual({ email: 'notifications.pickChannel' });
  });
});
