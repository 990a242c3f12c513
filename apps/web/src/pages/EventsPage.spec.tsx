import type { EventDetail } from '@fleet/contracts';
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { LiveProvider } from '../live/context';
import type { Handler } from '../testing/fake-api';
import { renderSignedIn } from '../testing/render';
import EventsPage, { linkOf } from './EventsPage';

const VAN = '3c9e1f2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const TRUCK = '4d0f2a3b-6c7e-4f80-9b0c-1d2e3f4a5b6c';
const stamp = '2026-11-27T08:00:00Z';

const vehicle = (id: string, name: string) => ({
  id,
  name,
  plate: null,
  type: 'van',
  speedLimitKmh: 90,
  color: null,
  icon: null,
  attributes: {},
  deviceIdentifier: name,
  deviceDisabled: false,
  createdAt: stamp,
  updatedAt: stamp,
});

const event = (i: number, over: Partial<EventDetail> = {}): EventDetail => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  vehicleId: VAN,
  type: 'overspeed',
  ts: new Date(Date.parse(stamp) - i * 60_000).toISOString(),
  geofenceId: null,
  lat: 40.4,
  lon: -3.7,
  attributes: { speedKmh: 100 + i },
  vehicleName: 'Van 1',
  geofenceName: null,
  retractedAt: null,
  ...over,
});

/** The events page as a notification's link opens it, under the live provider. */
async function open(search: string, routes: Record<string, Handler>) {
  window.history.replaceState(null, '', `/events${search}`);
  const rendered = await renderSignedIn(
    <LiveProvider flushMs={0}>
      <EventsPage />
    </LiveProvider>,
    {
      'GET /api/v1/vehicles': () => ({
        status: 200,
        body: { items: [vehicle(VAN, 'Van 1'), vehicle(TRUCK, 'Truck 2')], total: 2, limit: 500, offset: 0 },
      }),
      'GET /api/v1/positions/latest': () => ({ status: 200, body: { type: 'FeatureCollection', features: [] } }),
      'GET /api/v1/geofences': () => ({ status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } }),
      ...routes,
    },
  );
  const requested = (path: string) =>
    rendered.api.requests.filter((r) => r.method === 'GET' && r.url.split('?')[0] === path);
  return { ...rendered, requested };
}

describe('EventsPage opened from a notification link', () => {
  const pageFetch = globalThis.fetch;
  const scrolled: Element[] = [];
  beforeAll(() => {
    // jsdom lays nothing out: record what the page scrolls to.
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
  });
  beforeEach(() => {
    scrolled.length = 0;
    // The live stream is opened with the page's own fetch: here it stays connecting (live events
    // reaching the list are the live context's and matchesFilter's concern).
    globalThis.fetch = (() => new Promise(() => undefined)) as typeof fetch;
  });
  afterEach(() => {
    // Unmounted before the address changes back (the page follows the address).
    cleanup();
    globalThis.fetch = pageFetch;
    window.history.replaceState(null, '', '/');
  });
  afterAll(() => {
    delete (Element.prototype as Partial<Element>).scrollIntoView;
  });

  it('filters to the vehicle of the link and points out its event in the list, scrolled to', async () => {
    const list = [event(1), event(2), event(3)];
    const { requested } = await open(`?vehicleId=${VAN}&event=${event(2).id}`, {
      'GET /api/v1/events': () => ({ status: 200, body: { items: list, nextCursor: null } }),
    });
    const table = await screen.findByTestId('events-table');
    const current = await waitFor(() => {
      const row = table.querySelector('tr[aria-current="true"]');
      expect(row).not.toBeNull();
      return row as HTMLElement;
    });
    expect(within(current).getByText('Van 1 drove at 102 km/h, over its limit')).toBeInTheDocument();
    expect(table.querySelectorAll('tr[aria-current="true"]')).toHaveLength(1);
    await waitFor(() => expect(scrolled).toEqual([current]));
    // The list asked the server for that vehicle's events only, and the picker shows it.
    const query = new URL(requested('/api/v1/events')[0].url, 'http://web.test').searchParams;
    expect(query.get('vehicleId')).toBe(VAN);
    await waitFor(() => expect(screen.getByLabelText('Vehicle')).toHaveValue(VAN));
    // The event is opened above the list; it was in the list, so not read again.
    const card = screen.getByRole('region', { name: 'The event of the link' });
    expect(within(card).getByText('Van 1 drove at 102 km/h, over its limit')).toBeInTheDocument();
    expect(requested(`/api/v1/events/${event(2).id}`)).toEqual([]);
  });

  it('reads an event that is not in the first page by its id, and opens it (retracted, it says so)', async () => {
    const old = event(500, {
      type: 'geofence_enter',
      geofenceName: 'Depot',
      retractedAt: stamp,
      place: 'Calle Mayor 1',
    });
    const { requested } = await open(`?vehicleId=${VAN}&event=${old.id}`, {
      'GET /api/v1/events': () => ({ status: 200, body: { items: [event(1), event(2)], nextCursor: 'next' } }),
      [`GET /api/v1/events/${old.id}`]: () => ({ status: 200, body: old }),
    });
    const card = await screen.findByRole('region', { name: 'The event of the link' });
    expect(within(card).getByText('Van 1 entered Depot')).toBeInTheDocument();
    expect(within(card).getByText(/Calle Mayor 1/)).toBeInTheDocument();
    expect(within(card).getByText(/^Retracted on /)).toBeInTheDocument();
    await waitFor(() => expect(scrolled).toEqual([card]));
    expect(requested(`/api/v1/events/${old.id}`)).toHaveLength(1);
    expect(screen.getByTestId('events-table').querySelector('tr[aria-current="true"]')).toBeNull();
  });

  it('says when the linked event no longer exists, and still lists the vehicle’s events', async () => {
    const gone = event(9);
    await open(`?vehicleId=${VAN}&event=${gone.id}`, {
      'GET /api/v1/events': () => ({ status: 200, body: { items: [event(1)], nextCursor: null } }),
      [`GET /api/v1/events/${gone.id}`]: () => ({
        status: 404,
        body: { error: { code: 'not_found', message: 'no such event in this organization' } },
      }),
    });
    expect(
      await screen.findByText('The event of this link no longer exists (or belongs to another organization).'),
    ).toBeInTheDocument();
    expect(screen.getByText('Van 1 drove at 101 km/h, over its limit')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'The event of the link' })).not.toBeInTheDocument();
  });

  it('follows a second link opened while the page is open (another vehicle, another event)', async () => {
    const truckEvent = event(7, { vehicleId: TRUCK, vehicleName: 'Truck 2', type: 'device_offline' });
    const { requested } = await open(`?vehicleId=${VAN}&event=${event(1).id}`, {
      'GET /api/v1/events': (req) => {
        const vehicleId = new URL(req.url, 'http://web.test').searchParams.get('vehicleId');
        return { status: 200, body: { items: vehicleId === TRUCK ? [truckEvent] : [event(1)], nextCursor: null } };
      },
    });
    await waitFor(() => expect(scrolled).toHaveLength(1));
    act(() => window.history.pushState(null, '', `/events?vehicleId=${TRUCK}&event=${truckEvent.id}`));
    const card = await screen.findByRole('region', { name: 'The event of the link' });
    await waitFor(() => expect(within(card).getByText('Truck 2 stopped reporting')).toBeInTheDocument());
    const asked = requested('/api/v1/events').map((r) =>
      new URL(r.url, 'http://web.test').searchParams.get('vehicleId'),
    );
    expect(asked).toEqual([VAN, TRUCK]);
    await waitFor(() => expect(screen.getByLabelText('Vehicle')).toHaveValue(TRUCK));
    await waitFor(() => expect(scrolled).toHaveLength(2));
    expect(scrolled[1].textContent).toContain('Truck 2 stopped reporting');
    // Both events were in their lists: neither was read on its own.
    expect(requested(`/api/v1/events/${truckEvent.id}`)).toEqual([]);
    expect(requested(`/api/v1/events/${event(1).id}`)).toEqual([]);
  });

  it('without a link, lists every vehicle’s events and opens none', async () => {
    const { requested } = await open('', {
      'GET /api/v1/events': () => ({ status: 200, body: { items: [event(1)], nextCursor: null } }),
    });
    expect(await screen.findByText('Van 1 drove at 101 km/h, over its limit')).toBeInTheDocument();
    const query = new URL(requested('/api/v1/events')[0].url, 'http://web.test').searchParams;
    expect(query.get('vehicleId')).toBeNull();
    expect(screen.queryByRole('region', { name: 'The event of the link' })).not.toBeInTheDocument();
    expect(scrolled).toEqual([]);
  });
});

describe('the group filter', () => {
  it('lists the events of a group’s vehicles (and the groups below it), asked of the server', async () => {
    const NORTE = '11111111-1111-4111-8111-111111111111';
    const { requested } = await open('', {
      'GET /api/v1/events': () => ({ status: 200, body: { items: [event(1)], nextCursor: null } }),
      'GET /api/v1/groups': () => ({
        status: 200,
        body: {
          items: [
            { id: NORTE, name: 'Norte', parentId: null, depth: 0, vehicleCount: 1, createdAt: stamp, updatedAt: stamp },
          ],
        },
      }),
    });
    await userEvent.selectOptions(await screen.findByLabelText('Group'), 'Norte');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(requested('/api/v1/events').length).toBeGreaterThan(1));
    const last = requested('/api/v1/events').at(-1)!;
    expect(new URL(last.url, 'http://web.test').searchParams.get('groupId')).toBe(NORTE);
  });
});

describe('linkOf', () => {
  it('reads the vehicle and event ids of a notification link, ignoring values that are not ids', () => {
    expect(linkOf(`?vehicleId=${VAN.toUpperCase()}&event=${event(1).id}`)).toEqual({
      vehicleId: VAN,
      eventId: event(1).id,
    });
    expect(linkOf('?vehicleId=vehicle-1&event=a%26b')).toEqual({ vehicleId: undefined, eventId: undefined });
    expect(linkOf('')).toEqual({ vehicleId: undefined, eventId: undefined });
  });
});
