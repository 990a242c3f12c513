import type { EventDetail } from '@fleet/contracts';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import { App } from '../app/App';
import { memoryMode } from '../app/mode';
import { memoryPreferences } from '../storage/preferences';
import { memoryPushChoice } from './push';
import { fakeServer } from './testing/fake-server';

jest.mock('expo-localization', () => ({
  getLocales: () => [{ languageCode: 'en' }],
  useLocales: () => [{ languageCode: 'en' }],
}));
jest.mock('expo-notifications', () => ({}));

const VAN_1 = '11111111-1111-4111-8111-111111111111';
const VAN_2 = '22222222-2222-4222-8222-222222222222';
const DEPOT = '44444444-4444-4444-8444-444444444444';
const T0 = Date.now() - 3600_000;

const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Event n, n seconds after T0 (higher n: newer). */
function event(n: number, extra: Partial<EventDetail> = {}): EventDetail {
  return {
    id: eventId(n),
    vehicleId: VAN_1,
    type: 'overspeed',
    ts: new Date(T0 + n * 1000).toISOString(),
    geofenceId: null,
    lat: 40.4,
    lon: -3.7,
    attributes: { speedKmh: 120 },
    vehicleName: 'Van 1',
    geofenceName: null,
    ...extra,
  };
}

/** What the live stream carries for an event: the tracking event, without the names. */
const onStream = ({ vehicleName: _v, geofenceName: _g, retractedAt: _r, ...e }: EventDetail) => e;

/**
 * The fake server of the dispatcher tests, with an events list the test controls: newest first, pages
 * by an opaque cursor (the index of the next item), one event by id.
 */
function server(events: EventDetail[]) {
  const base = fakeServer({
    vehicles: [
      { vehicleId: VAN_1, name: 'Van 1', ts: new Date().toISOString(), lat: 40.4, lon: -3.7, speedKmh: 40 },
      { vehicleId: VAN_2, name: 'Van 2', ts: new Date().toISOString(), lat: 40.5, lon: -3.6, speedKmh: 0 },
    ],
  });
  const control = { events, failNext: false };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname.startsWith('/api/v1/events')) {
      base.state.sent.push({ method, path: url.pathname + url.search, headers: {}, body: undefined });
      if (control.failNext) {
        control.failNext = false;
        return json(503, { error: { code: 'unavailable', message: 'try again later' } });
      }
      const sorted = [...control.events].sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts));
      const one = url.pathname.match(/^\/api\/v1\/events\/(.+)$/);
      if (one) {
        const found = sorted.find((e) => e.id === one[1]);
        return found ? json(200, found) : json(404, { error: { code: 'not_found', message: 'no such event' } });
      }
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const items = sorted.slice(from, from + limit);
      return json(200, { items, nextCursor: from + limit < sorted.length ? String(from + limit) : null });
    }
    return base.impl(input, init);
  }) as typeof fetch;
  const eventRequests = () => base.state.sent.filter((s) => s.path.startsWith('/api/v1/events'));
  return { ...base, impl, control, eventRequests };
}

async function openEvents(events: EventDetail[], language: 'en' | 'es' = 'en') {
  const fake = server(events);
  render(
    <App
      preferences={memoryPreferences({ serverUrl: 'https://fleet.example.test', refreshToken: 'refresh-1' })}
      fetch={fake.impl}
      modeStore={memoryMode('dispatcher')}
      resumeTracking={async () => undefined}
      push={{ obtainToken: async () => null }}
      pushChoice={memoryPushChoice()}
      language={language}
    />,
  );
  await screen.findByText('Van 1', {}, { timeout: 10_000 });
  await waitFor(() => expect(fake.state.live).toHaveLength(1));
  fireEvent.press(screen.getByText(language === 'en' ? 'Events' : 'Eventos'));
  return fake;
}

const rows = () => screen.queryAllByTestId(/^event-/).map((r) => r.props.testID.slice('event-'.length));
const ids = (...ns: number[]) => ns.map(eventId);
const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

/** Writes SSE text to the app's open live stream. */
const stream = (fake: ReturnType<typeof server>, text: string) =>
  act(async () => {
    fake.state.live[fake.state.live.length - 1]?.write(text);
  });

describe('events screen', () => {
  it('pages beyond the first page with the list’s cursor, until the last page', async () => {
    const fake = await openEvents(range(120, 1).map((n) => event(n)));
    await waitFor(() => expect(rows()).toHaveLength(50));
    expect(rows()).toEqual(ids(...range(120, 71)));
    expect(screen.getAllByText('Overspeed · Van 1')).toHaveLength(50);

    fireEvent.press(screen.getByText('Show older events'));
    await waitFor(() => expect(rows()).toHaveLength(100));
    fireEvent.press(screen.getByText('Show older events'));
    await waitFor(() => expect(rows()).toHaveLength(120));
    expect(rows()).toEqual(ids(...range(120, 1)));
    expect(screen.queryByText('Show older events')).toBeNull();
    expect(screen.getByText('No older events.')).toBeTruthy();

    const paths = fake.eventRequests().map((r) => r.path);
    expect(paths).toEqual([
      '/api/v1/events?limit=50',
      '/api/v1/events?limit=50&cursor=50',
      '/api/v1/events?limit=50&cursor=100',
    ]);
  });

  it('says when a page fails and lets the user try it again', async () => {
    const fake = await openEvents(range(60, 1).map((n) => event(n)));
    await waitFor(() => expect(rows()).toHaveLength(50));
    fake.control.failNext = true;
    fireEvent.press(screen.getByText('Show older events'));
    expect(await screen.findByText(/^Could not load the events: /)).toBeTruthy();
    expect(rows()).toHaveLength(50);
    fireEvent.press(screen.getByText('Show older events'));
    await waitFor(() => expect(rows()).toHaveLength(60));
  });

  it('adds a live event at the top, once, whether it came from the stream, the list or both', async () => {
    const fake = await openEvents(range(60, 1).map((n) => event(n)));
    await waitFor(() => expect(rows()).toHaveLength(50));

    const fresh = event(3000, { vehicleId: VAN_2, vehicleName: 'Van 2', type: 'device_offline', attributes: {} });
    await stream(fake, `id: 1-0\nevent: event\ndata: ${JSON.stringify(onStream(fresh))}\n\n`);
    await waitFor(() => expect(rows()[0]).toBe(fresh.id));
    expect(screen.getByText('Went offline · Van 2')).toBeTruthy(); // the name from the fleet list
    expect(rows()).toHaveLength(51);

    // The same event again (a resent stream entry), and one already on the first page.
    await stream(fake, `id: 2-0\nevent: event\ndata: ${JSON.stringify(onStream(fresh))}\n\n`);
    await stream(fake, `id: 3-0\nevent: event\ndata: ${JSON.stringify(onStream(event(60)))}\n\n`);
    expect(rows()).toHaveLength(51);

    // The stream could not resume: the newest page is read again, and now has the event too.
    fake.control.events.push(fresh);
    const before = fake.eventRequests().length;
    await stream(fake, 'event: resync\ndata: {}\n\n');
    await waitFor(() => expect(fake.eventRequests().length).toBe(before + 1));
    await waitFor(() => expect(rows()).toEqual([fresh.id, ...ids(...range(60, 12))]));
    expect(new Set(rows()).size).toBe(rows().length);

    // Paging goes on from the new first page, without a gap or a repeat.
    fireEvent.press(screen.getByText('Show older events'));
    await waitFor(() => expect(rows()).toHaveLength(61));
    expect(rows()).toEqual([fresh.id, ...ids(...range(60, 1))]);
  });

  it('asks the server for an event whose geofence it cannot name, and drops a retracted one', async () => {
    const fake = await openEvents([event(1)]);
    await waitFor(() => expect(rows()).toHaveLength(1));
    const entered = event(3001, { type: 'geofence_enter', geofenceId: DEPOT, geofenceName: 'Depot' });
    fake.control.events.push(entered);
    await stream(fake, `id: 4-0\nevent: event\ndata: ${JSON.stringify(onStream(entered))}\n\n`);
    expect(await screen.findByText('Entered Depot · Van 1')).toBeTruthy();
    expect(fake.eventRequests().map((r) => r.path)).toContain(`/api/v1/events/${entered.id}`);
    expect(rows()).toEqual([entered.id, eventId(1)]);

    // A second entry into the same geofence is named from the list, without a request.
    const again = event(3002, { type: 'geofence_exit', geofenceId: DEPOT, geofenceName: 'Depot' });
    const requests = fake.eventRequests().length;
    await stream(fake, `id: 5-0\nevent: event\ndata: ${JSON.stringify(onStream(again))}\n\n`);
    expect(await screen.findByText('Left Depot · Van 1')).toBeTruthy();
    expect(fake.eventRequests()).toHaveLength(requests);

    const retraction = { ...onStream(entered), retractedAt: new Date().toISOString() };
    await stream(fake, `id: 6-0\nevent: event_retracted\ndata: ${JSON.stringify(retraction)}\n\n`);
    await waitFor(() => expect(rows()).toEqual([again.id, eventId(1)]));
  });

  it('speaks Spanish', async () => {
    const fake = await openEvents(
      range(60, 1).map((n) => event(n)),
      'es',
    );
    await waitFor(() => expect(rows()).toHaveLength(50));
    expect(screen.getAllByText('Exceso de velocidad · Van 1')).toHaveLength(50);
    fake.control.failNext = true;
    fireEvent.press(screen.getByText('Ver eventos anteriores'));
    expect(await screen.findByText(/^No se pudieron cargar los eventos: /)).toBeTruthy();
    fireEvent.press(screen.getByText('Ver eventos anteriores'));
    expect(await screen.findByText('No hay eventos anteriores.')).toBeTruthy();
  });
});
