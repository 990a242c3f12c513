import { FleetApi } from '@fleet/api-client';
import { fakeApi } from '../testing/fake-api';
import { allGeofences } from './queries';

const geofence = (n: number) => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name: `Zone ${n}`,
  kind: 'circle',
  geometry: { type: 'Polygon', coordinates: [] },
  center: { lat: 40, lon: -3 },
  radiusM: 100,
  attributes: {},
  createdAt: '2026-11-27T08:00:00Z',
  updatedAt: '2026-11-27T08:00:00Z',
});

describe('allGeofences', () => {
  it('reads every page, not only the first 500', async () => {
    const total = 1203;
    const fake = fakeApi({
      'GET /api/v1/geofences': ({ url }) => {
        const q = new URL(url, 'http://web.test').searchParams;
        const [limit, offset] = [Number(q.get('limit')), Number(q.get('offset'))];
        const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) =>
          geofence(offset + i),
        );
        return { status: 200, body: { items, total, limit, offset } };
      },
    });
    const list = await allGeofences(new FleetApi({ baseUrl: '', fetch: fake.fetch }));
    expect(list).toHaveLength(total);
    expect(new Set(list.map((g) => g.id)).size).toBe(total);
    expect(fake.requests).toHaveLength(3);
  });
});
