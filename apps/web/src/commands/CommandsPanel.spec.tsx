import type { DeviceCommand } from '@fleet/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderSignedIn } from '../testing/render';
import { CommandsPanel, REFRESH_PENDING_MS } from './CommandsPanel';

const VEHICLE = '3f1c6c1e-6f7a-4c53-9a6e-0d8f0c2b7a10';
const PATH = `/api/v1/vehicles/${VEHICLE}/commands`;

const command = (i: number, over: Partial<DeviceCommand> = {}): DeviceCommand => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  vehicleId: VEHICLE,
  text: `getinfo ${i}`,
  status: 'queued',
  response: null,
  error: null,
  createdBy: null,
  createdAt: '2026-12-06T10:00:00.000Z',
  sentAt: null,
  answeredAt: null,
  expiresAt: '2026-12-06T10:10:00.000Z',
  ...over,
});
const page = (items: DeviceCommand[]) => ({ status: 200, body: { items, total: items.length, limit: 10, offset: 0 } });
const gets = (requests: { method: string; url: string }[]) =>
  requests.filter((r) => r.method === 'GET' && r.url.includes(PATH)).length;

describe('CommandsPanel', () => {
  it('reads nothing until opened, then lists the commands with their status, times and the device’s answer', async () => {
    const answered = command(1, {
      text: 'getver',
      status: 'answered',
      sentAt: '2026-12-06T10:00:01.000Z',
      answeredAt: '2026-12-06T10:00:02.000Z',
      response: 'Ver:03.27.07 Hw:FMB920',
    });
    const failed = command(2, { text: 'cpureset', status: 'failed', error: 'no answer from the device within 5 min' });
    const { api } = await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, {
      [`GET ${PATH}`]: () => page([answered, failed]),
    });
    expect(gets(api.requests)).toBe(0);
    await userEvent.click(screen.getByText('Commands'));
    const list = await screen.findByRole('list', { name: 'Commands sent to the device' });
    expect(await within(list).findByText('getver')).toBeInTheDocument();
    expect(within(list).getByText('Answered')).toBeInTheDocument();
    expect(within(list).getByLabelText('Answer of the device')).toHaveTextContent('Ver:03.27.07 Hw:FMB920');
    expect(within(list).getByText(/^answered /)).toBeInTheDocument();
    expect(within(list).getByText('Failed')).toBeInTheDocument();
    expect(within(list).getByText('no answer from the device within 5 min')).toBeInTheDocument();
  });

  it('sends the command typed, clears the field and shows it in the list', async () => {
    const all: DeviceCommand[] = [];
    const { api } = await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, {
      [`GET ${PATH}`]: () => page([...all].reverse()),
      [`POST ${PATH}`]: (req) => {
        const created = command(all.length + 1, { text: (req.body as { text: string }).text });
        all.push(created);
        return { status: 202, body: created };
      },
    });
    await userEvent.click(screen.getByText('Commands'));
    expect(await screen.findByText('No commands yet.')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Command'), 'setdigout 1');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByText('setdigout 1')).toBeInTheDocument();
    expect(screen.getByText('Queued')).toBeInTheDocument();
    expect(screen.getByLabelText('Command')).toHaveValue('');
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([{ text: 'setdigout 1' }]);
  });

  it('says plainly that the device is not connected when the server answers 409', async () => {
    await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, {
      [`GET ${PATH}`]: () => page([]),
      [`POST ${PATH}`]: () => ({
        status: 409,
        body: {
          error: {
            code: 'conflict',
            message: 'device not connected: …',
            details: [{ path: 'id', message: 'device not connected' }],
          },
        },
      }),
    });
    await userEvent.click(screen.getByText('Commands'));
    await userEvent.type(screen.getByLabelText('Command'), 'getinfo');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The device is not connected: commands can only be sent while its tracker is connected to the server.',
    );
    // The text stays, to send again once the device is online.
    expect(screen.getByLabelText('Command')).toHaveValue('getinfo');
  });

  it('shows the server’s own reason for another refusal', async () => {
    await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, {
      [`GET ${PATH}`]: () => page([]),
      [`POST ${PATH}`]: () => ({
        status: 409,
        body: {
          error: {
            code: 'conflict',
            message: '20 commands already wait to be sent to this device',
            details: [{ path: 'text', message: 'at most 20 commands wait per device' }],
          },
        },
      }),
    });
    await userEvent.click(screen.getByText('Commands'));
    await userEvent.type(screen.getByLabelText('Command'), 'getinfo');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('20 commands already wait to be sent to this device');
    expect(alert).not.toHaveTextContent('not connected');
  });

  it('refuses a text a tracker cannot take before asking the server', async () => {
    const { api } = await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, { [`GET ${PATH}`]: () => page([]) });
    await userEvent.click(screen.getByText('Commands'));
    await userEvent.type(screen.getByLabelText('Command'), 'señal');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByText(/Letters, digits and punctuation only/)).toBeInTheDocument();
    expect(screen.getByLabelText('Command')).toHaveAttribute('aria-invalid', 'true');
    await userEvent.clear(screen.getByLabelText('Command'));
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByText('Required')).toBeInTheDocument();
    expect(api.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('reads the list again while a command awaits its answer, until the answer shows', async () => {
    let calls = 0;
    await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, {
      [`GET ${PATH}`]: () => {
        calls++;
        return page([
          calls < 2
            ? command(1, { status: 'sent', sentAt: '2026-12-06T10:00:01.000Z' })
            : command(1, {
                status: 'answered',
                sentAt: '2026-12-06T10:00:01.000Z',
                answeredAt: '2026-12-06T10:00:03.000Z',
                response: 'GPS:1 Sat:9',
              }),
        ]);
      },
    });
    await userEvent.click(screen.getByText('Commands'));
    expect(await screen.findByText('Sent, awaiting answer')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText('Answered')).toBeInTheDocument(), {
      timeout: REFRESH_PENDING_MS * 3,
    });
    expect(screen.getByLabelText('Answer of the device')).toHaveTextContent('GPS:1 Sat:9');
  }, 20_000);

  it('stops reading the list once closed', async () => {
    const { api } = await renderSignedIn(<CommandsPanel vehicleId={VEHICLE} />, {
      [`GET ${PATH}`]: () => page([command(1, { status: 'queued' })]),
    });
    await userEvent.click(screen.getByText('Commands'));
    await waitFor(() => expect(gets(api.requests)).toBeGreaterThanOrEqual(2), { timeout: REFRESH_PENDING_MS * 3 });
    await userEvent.click(screen.getByText('Commands'));
    const after = gets(api.requests);
    await new Promise((resolve) => setTimeout(resolve, REFRESH_PENDING_MS * 2));
    expect(gets(api.requests)).toBe(after);
  }, 20_000);
});
