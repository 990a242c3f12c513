import { DEFAULT_TILE_URL, STATUS_COLOURS } from '@fleet/contracts';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react-native';
import { App } from '../app/App';
import { memoryMode } from '../app/mode';
import { cameraCalls, emitLog } from '../map/testing/maplibre';
import { memoryPreferences } from '../storage/preferences';
import { memoryPushChoice } from './push';
import { fakeServer, type FakeVehicle } from './testing/fake-server';

jest.mock('expo-localization', () => ({
  getLocales: () => [{ languageCode: 'en' }],
  useLocales: () => [{ languageCode: 'en' }],
}));
jest.mock('expo-notifications', () => ({}));

const SERVER = 'https://fleet.example.test';
const VAN_1 = '11111111-1111-4111-8111-111111111111';
const VAN_2 = '22222222-2222-4222-8222-222222222222';
const TRUCK = '33333333-3333-4333-8333-333333333333';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function vehicles(): FakeVehicle[] {
  return [
    { vehicleId: VAN_1, name: 'Van 1', ts: minutesAgo(1), lat: 40.4, lon: -3.7, speedKmh: 42 },
    { vehicleId: VAN_2, name: 'Van 2', ts: minutesAgo(25), lat: 40.5, lon: -3.6, speedKmh: 0 },
    { vehicleId: TRUCK, name: 'Camión grande', ts: minutesAgo(3), lat: 40.6, lon: -3.5, speedKmh: 0 },
  ];
}

/** The app signed back in (refresh token kept from a previous launch), on the map tab. */
async function openMap(setUp: (server: ReturnType<typeof fakeServer>) => void = () => undefined) {
  const server = fakeServer({ vehicles: vehicles() });
  setUp(server);
  render(
    <App
      preferences={memoryPreferences({ serverUrl: SERVER, refreshToken: 'refresh-1' })}
      fetch={server.impl}
      modeStore={memoryMode('dispatcher')}
      resumeTracking={async () => undefined}
      push={{ obtainToken: async () => null }}
      pushChoice={memoryPushChoice([])}
      language="en"
    />,
  );
  fireEvent.press(await screen.findByRole('tab', { name: 'Map' }));
  await screen.findByTestId('source-vehicles');
  return server;
}

type Marker = {
  geometry: { coordinates: number[] };
  properties: { vehicleId: string; colour: string; status: string };
};
const markers = (testId = 'source-vehicles') =>
  (screen.getByTestId(testId).props.data as { features: Marker[] }).features;
const markerOf = (vehicleId: string) => markers().find((m) => m.properties.vehicleId === vehicleId);
const mapStyle = () =>
  screen.getByTestId('map').props.mapStyle as {
    sources: { base: { tiles: string[]; scheme: string; tileSize: number } };
  };

describe('dispatcher map', () => {
  beforeEach(() => {
    cameraCalls.length = 0;
  });

  it('shows every vehicle as a marker in the web’s colour of its status, on the tiles the web is configured with', async () => {
    const server = await openMap((s) => {
      s.state.config = {
        mapTileUrl: 'https://{s}.tiles.example/{z}/{x}/{y}{r}.png?key={accessToken}',
        mapToken: 'tok-1',
        mapAttribution: '&copy; <a href="https://example.com">Example Maps</a>',
      };
    });
    expect(server.requests('GET /config.json')).toHaveLength(1);
    expect(markers()).toHaveLength(3);
    expect(markerOf(VAN_1)).toMatchObject({
      geometry: { coordinates: [-3.7, 40.4] },
      properties: { status: 'moving', colour: STATUS_COLOURS.moving },
    });
    expect(markerOf(VAN_2)).toMatchObject({
      geometry: { coordinates: [-3.6, 40.5] },
      properties: { status: 'offline', colour: STATUS_COLOURS.offline },
    });
    expect(markerOf(TRUCK)?.properties).toMatchObject({ status: 'stopped', colour: STATUS_COLOURS.stopped });
    expect(screen.getByTestId('layer-vehicles-dots').props.paint['circle-color']).toEqual(['get', 'colour']);

    expect(mapStyle().sources.base).toMatchObject({
      tiles: [
        'https://a.tiles.example/{z}/{x}/{y}.png?key=tok-1',
        'https://b.tiles.example/{z}/{x}/{y}.png?key=tok-1',
        'https://c.tiles.example/{z}/{x}/{y}.png?key=tok-1',
      ],
      scheme: 'xyz',
      tileSize: 256,
    });
    expect(screen.getByTestId('map-attribution')).toHaveTextContent('© Example Maps');
    // The camera opens around the whole fleet.
    expect(screen.getByTestId('camera').props.initialViewState).toMatchObject({ bounds: [-3.7, 40.4, -3.5, 40.6] });
  });

  it('uses OpenStreetMap when the server has no /config.json (the API alone, as `npm start` serves it)', async () => {
    await openMap();
    expect(mapStyle().sources.base.tiles).toEqual([DEFAULT_TILE_URL]);
    expect(screen.getByTestId('map-attribution')).toHaveTextContent('© OpenStreetMap contributors');
  });

  it('moves and recolours a marker when a live position arrives', async () => {
    const server = await openMap();
    await waitFor(() => expect(server.state.live).toHaveLength(1));
    const fix = {
      vehicleId: VAN_2,
      ts: new Date().toISOString(),
      lat: 40.52,
      lon: -3.58,
      speedKmh: 55,
      heading: 90,
      altitude: null,
      accuracy: 5,
      battery: null,
      attributes: null,
    };
    await act(async () => {
      server.state.live[0]?.write(`id: 7-0\nevent: position\ndata: ${JSON.stringify(fix)}\n\n`);
    });
    await waitFor(() =>
      expect(markerOf(VAN_2)).toMatchObject({
        geometry: { coordinates: [-3.58, 40.52] },
        properties: { status: 'moving', colour: STATUS_COLOURS.moving },
      }),
    );
    expect(markers()).toHaveLength(3);
    // The camera stays where the user left it; "Show all" fits the fleet again.
    expect(cameraCalls).toEqual([]);
    fireEvent.press(screen.getByRole('button', { name: 'Show all' }));
    expect(cameraCalls).toEqual([
      { method: 'fitBounds', args: [[-3.7, 40.4, -3.5, 40.6], expect.objectContaining({ duration: 600 })] },
    ]);
  });

  it('opens a vehicle on a tap: its latest position and today’s track from the history', async () => {
    const server = await openMap((s) => {
      s.state.history[VAN_1] = [
        { ts: minutesAgo(50), lat: 40.3, lon: -3.9 },
        { ts: minutesAgo(30), lat: 40.35, lon: -3.8 },
        { ts: minutesAgo(10), lat: 40.38, lon: -3.75 },
      ];
    });
    const feature = markerOf(VAN_1);
    fireEvent(screen.getByTestId('source-vehicles'), 'press', {
      nativeEvent: { lngLat: [-3.7, 40.4], point: [10, 10], features: [feature] },
    });
    expect(await screen.findByRole('heading', { name: 'Van 1' })).toBeTruthy();

    const track = await screen.findByTestId('source-track');
    // The history's fixes, then the live position (newer than the last of them).
    expect(track.props.data.geometry).toEqual({
      type: 'LineString',
      coordinates: [
        [-3.9, 40.3],
        [-3.8, 40.35],
        [-3.75, 40.38],
        [-3.7, 40.4],
      ],
    });
    expect(markers('source-vehicle')).toEqual([
      expect.objectContaining({
        geometry: { type: 'Point', coordinates: [-3.7, 40.4] },
        properties: expect.objectContaining({ colour: STATUS_COLOURS.moving }),
      }),
    ]);
    // The camera opens around the whole track.
    expect(within(screen.getByTestId('map')).getByTestId('camera').props.initialViewState).toMatchObject({
      bounds: [-3.9, 40.3, -3.7, 40.4],
    });
    const [request] = server.requests(`GET /api/v1/vehicles/${VAN_1}/history`);
    const query = new URL(`${SERVER}${request?.path}`).searchParams;
    expect(new Date(query.get('from') ?? '').getHours()).toBe(0);
    expect(query.get('maxPoints')).toBe('2000');
    expect(screen.queryByText('The map comes in a later version.')).toBeNull();

    // Back goes to the map.
    fireEvent.press(screen.getByRole('button', { name: '‹ Back' }));
    expect(await screen.findByTestId('source-vehicles')).toBeTruthy();
  });

  it('says so when the vehicle has no track today, and still shows where it is', async () => {
    await openMap();
    fireEvent(screen.getByTestId('source-vehicles'), 'press', {
      nativeEvent: { lngLat: [-3.5, 40.6], point: [0, 0], features: [markerOf(TRUCK)] },
    });
    expect(await screen.findByText('No track today.')).toBeTruthy();
    expect(screen.queryByTestId('source-track')).toBeNull();
    expect(markers('source-vehicle')[0]?.geometry.coordinates).toEqual([-3.5, 40.6]);
    expect(screen.getByTestId('camera').props.initialViewState).toEqual({ center: [-3.5, 40.6], zoom: 14 });
  });

  it('still shows where the vehicle is when today’s track cannot be loaded', async () => {
    await openMap((s) => {
      s.state.historyDown = true;
    });
    fireEvent(screen.getByTestId('source-vehicles'), 'press', {
      nativeEvent: { lngLat: [-3.6, 40.5], point: [0, 0], features: [markerOf(VAN_2)] },
    });
    expect(await screen.findByText(/^Could not load today’s track: /)).toBeTruthy();
    expect(screen.queryByTestId('source-track')).toBeNull();
    expect(markers('source-vehicle')[0]).toMatchObject({
      geometry: { coordinates: [-3.6, 40.5] },
      properties: { colour: STATUS_COLOURS.offline },
    });
    // Trips and stops are not held up by it.
    expect(await screen.findByText('No trip today.')).toBeTruthy();
  });

  it('shows a notice while the tiles fail, and takes it away when they load again', async () => {
    await openMap();
    const fail = (n: number) =>
      act(() => {
        for (let i = 0; i < n; i++) emitLog(`Failed to load tile 12/2007/1544=>12 for source base: HTTP status 503`);
      });
    // Another source's failures are not the base tiles'.
    act(() => void emitLog('Failed to load tile 1/0/0=>1 for source other: timeout'));
    fail(3);
    expect(screen.queryByText(/Map background unavailable/)).toBeNull();
    fail(1);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Map background unavailable: vehicles and tracks are still shown.',
    );
    // A full frame that still had failures keeps it; the next clean one clears it.
    act(() => screen.getByTestId('map').props.onDidFinishRenderingMapFully());
    expect(screen.queryByText(/Map background unavailable/)).toBeTruthy();
    act(() => screen.getByTestId('map').props.onDidFinishRenderingMapFully());
    expect(screen.queryByText(/Map background unavailable/)).toBeNull();
    // Other log lines are left to MapLibre's own logging.
    expect(emitLog('Something else', 'warn')).toBe(false);
  });
});
