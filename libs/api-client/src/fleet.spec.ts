import { ApiError, withQuery } from './client';
import type { Vehicle } from '@fleet/contracts';
import { FleetApi } from './fleet';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

describe('FleetApi', () => {
  it('builds query strings, leaving out unset values', () => {
    expect(withQuery('/x', { a: 1, b: undefined, c: null, d: 'y z', e: false })).toBe('/x?a=1&d=y+z&e=false');
    expect(withQuery('/x?k=1', { a: 2 })).toBe('/x?k=1&a=2');
    expect(withQuery('/x', {})).toBe('/x');
  });

  it('renews once on a 401 and resends with the new token; a second 401 is the answer', async () => {
    let token = 'old';
    const seen: string[] = [];
    const fetchMock = jest.fn(async (_url: string, init: RequestInit) => {
      const auth = (init.headers as Record<string, string>)['authorization'];
      seen.push(auth);
      return auth === 'Bearer new'
        ? json(200, { items: [], total: 0, limit: 50, offset: 0 })
        : json(401, { error: { code: 'unauthorized', message: 'expired' } });
    });
    const renew = jest.fn(async () => {
      token = 'new';
      return true;
    });
    const api = new FleetApi({
      baseUrl: '',
      getToken: () => token,
      onUnauthorized: renew,
      fetch: fetchMock as unknown as typeof fetch,
    });
    await expect(api.listVehicles()).resolves.toMatchObject({ total: 0 });
    expect(seen).toEqual(['Bearer old', 'Bearer new']);

    token = 'stale';
    const refusing = new FleetApi({
      baseUrl: '',
      getToken: () => token,
      onUnauthorized: async () => false,
      fetch: fetchMock as unknown as typeof fetch,
    });
    await expect(refusing.listVehicles()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('never renews for the session requests themselves', async () => {
    const renew = jest.fn(async () => true);
    const api = new FleetApi({
      baseUrl: '',
      getToken: () => 'x',
      onUnauthorized: renew,
      fetch: (async () => json(401, { error: { code: 'unauthorized', message: 'no' } })) as unknown as typeof fetch,
    });
    await expect(api.refreshSession({ body: {} })).rejects.toBeInstanceOf(ApiError);
    await expect(api.login({ body: { email: 'a@b.c', password: 'p' } })).rejects.toBeInstanceOf(ApiError);
    expect(renew).not.toHaveBeenCalled();
  });

  it('asks for a simplified GeoJSON history and reads the trips report', async () => {
    const urls: string[] = [];
    const trip = {
      startTime: 'a',
      endTime: 'b',
      distanceM: 1200,
      durationS: 300,
      maxSpeedKmh: 50,
      avgSpeedKmh: 14.4,
      idleS: 20,
      start: { lat: 40, lon: -3 },
      end: { lat: 40.01, lon: -3 },
    };
    const basis = { vehicleId: '00000000-0000-4000-8000-000000000000', from: 'a', to: 'b', fixes: 10, sampledEvery: 1 };
    const answers = [json(200, { type: 'FeatureCollection', features: [] }), json(200, { ...basis, items: [trip] })];
    const api = new FleetApi({
      baseUrl: 'http://h',
      fetch: (async (url: string) => (urls.push(url), answers.shift()!)) as unknown as typeof fetch,
    });
    const period = { from: '2026-11-26T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' };
    await api.vehicleHistory({ params: { id: 'v/1' }, query: { ...period, format: 'geojson', maxPoints: 5000 } });
    expect(urls[0]).toBe(
      'http://h/api/v1/vehicles/v%2F1/history?from=2026-11-26T00%3A00%3A00.000Z&to=2026-11-27T00%3A00%3A00.000Z&format=geojson&maxPoints=5000',
    );
    await expect(api.vehicleTrips({ params: { id: 'v' }, query: period })).resolves.toMatchObject({
      fixes: 10,
      items: [trip],
    });
  });

  it('downloads an export as a Blob and turns an error body into an ApiError', async () => {
    const answers = [
      new Response('<gpx/>', { status: 200 }),
      json(400, {
        error: { code: 'validation_failed', message: 'bad period', details: [{ path: 'to', message: 'x' }] },
      }),
    ];
    const api = new FleetApi({ baseUrl: '', fetch: (async () => answers.shift()!) as unknown as typeof fetch });
    const period = { from: 'a', to: 'b' };
    await expect(
      (
        await api.download(api.endpoints.vehicleHistory, { params: { id: 'v' }, query: { ...period, format: 'gpx' } })
      ).text(),
    ).resolves.toBe('<gpx/>');
    await expect(
      api.download(api.endpoints.vehicleHistory, { params: { id: 'v' }, query: { ...period, format: 'csv' } }),
    ).rejects.toMatchObject({
      status: 400,
      details: [{ path: 'to' }],
    });
  });
});

describe('FleetApi types (checked by the typecheck target)', () => {
  it('types each call from its declaration', () => {
    const api = new FleetApi({ baseUrl: '', fetch: (async () => json(200, {})) as unknown as typeof fetch });
    const typed = async () => {
      const vehicle: Vehicle = await api.getVehicle({ params: { id: 'x' } });
      const list: { items: Vehicle[]; total: number } = await api.listVehicles({ query: { limit: 5 } });
      const none: void = await api.deleteVehicle({ params: { id: 'x' } });
      // @ts-expect-error the path parameter is required
      await api.getVehicle();
      // @ts-expect-error the body must match VehicleInput
      await api.createVehicle({ body: { plate: 1 } });
      return [vehicle, list, none];
    };
    expect(typeof typed).toBe('function');
    expect(
      Object.keys(api.endpoints).every(
        (name) => typeof (api as unknown as Record<string, unknown>)[name] === 'function',
      ),
    ).toBe(true);
  });
});
