import { QueryClientProvider } from '@tanstack/react-query';
import { act, render, waitFor } from '@testing-library/react';
import { createQueryClient } from '../data/query-client';
import { SessionProvider } from '../session/context';
import { Session } from '../session/session';
import { fakeApi } from '../testing/fake-api';
import { LiveProvider, useLive } from './context';

const VEHICLE_ID = '3c9e1f2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const GEOFENCE_ID = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
const stamp = '2026-11-27T08:00:00Z';

const vehicle = (name: string) => ({
  id: VEHICLE_ID,
  name,
  plate: '1234 ABC',
  type: 'van',
  speedLimitKmh: null,
  color: null,
  icon: null,
  attributes: {},
  deviceIdentifier: 'van-1',
  deviceDisabled: false,
  createdAt: stamp,
  updatedAt: stamp,
});

function setup() {
  let name = 'Van 1';
  const api = fakeApi({
    'GET /api/v1/vehicles': () => ({ status: 200, body: { items: [vehicle(name)], total: 1, limit: 500, offset: 0 } }),
    'GET /api/v1/positions/latest': () => ({
      status: 200,
      body: {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [-3.7, 40.4] },
            properties: {
              vehicleId: VEHICLE_ID,
              name,
              ts: stamp,
              speedKmh: 12,
              heading: null,
              altitude: null,
              accuracy: null,
              battery: null,
              attributes: {},
              status: 'moving',
              ageSeconds: 3,
            },
          },
        ],
      },
    }),
    'GET /api/v1/geofences': () => ({
      status: 200,
      body: {
        items: [
          {
            id: GEOFENCE_ID,
            name: 'Depot',
            kind: 'circle',
            geometry: { type: 'Polygon', coordinates: [] },
            center: { lat: 40.4, lon: -3.7 },
            radiusM: 100,
            attributes: {},
            createdAt: stamp,
            updatedAt: stamp,
          },
        ],
        total: 1,
        limit: 500,
        offset: 0,
      },
    }),
    // The stream itself is the api-client's (event-stream.spec.ts): here it only fails and retries.
    'GET /api/v1/live': () => ({ status: 503 }),
  });
  // The stream is opened with the page's own fetch (jsdom has none): the same scripted answers.
  globalThis.fetch = api.fetch;
  const queryClient = createQueryClient();
  let live: ReturnType<typeof useLive> | undefined;
  function Probe() {
    live = useLive();
    return null;
  }
  const view = render(
    <QueryClientProvider client={queryClient}>
      <SessionProvider session={new Session({ fetch: api.fetch })}>
        <LiveProvider flushMs={0}>
          <Probe />
        </LiveProvider>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return {
    api,
    queryClient,
    live: () => {
      if (!live) throw new Error('LiveProvider not rendered');
      return live;
    },
    view,
    rename: (n: string) => (name = n),
  };
}

describe('LiveProvider', () => {
  const pageFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = pageFetch;
  });

  it('reads the vehicles, their last fixes and the geofence names, and opens the live stream', async () => {
    const { api, live, view } = setup();
    await waitFor(() => expect(live().store.fixes.get(VEHICLE_ID)).toMatchObject({ lat: 40.4, lon: -3.7 }));
    await waitFor(() => expect(live().store.name(VEHICLE_ID)).toBe('Van 1'));
    await waitFor(() => expect(live().geofenceNames.get(GEOFENCE_ID)).toBe('Depot'));
    await waitFor(() => expect(api.requests.some((r) => r.url === '/api/v1/live')).toBe(true));
    view.unmount();
  });

  it('shows a vehicle renamed elsewhere once a write refreshes the cached vehicle list', async () => {
    const { live, view, queryClient, rename } = setup();
    await waitFor(() => expect(live().store.name(VEHICLE_ID)).toBe('Van 1'));
    rename('Van 1 (blue)');
    // What useApiMutation does after `updateVehicle` (invalidates: ['listVehicles']).
    await act(() => queryClient.invalidateQueries({ queryKey: ['listVehicles'] }));
    await waitFor(() => expect(live().store.name(VEHICLE_ID)).toBe('Van 1 (blue)'));
    view.unmount();
  });
});
