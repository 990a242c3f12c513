import { splitLiveEvents } from './messages';

describe('splitLiveEvents', () => {
  it('keeps well-formed positions and events and drops the rest', () => {
    const position = {
      vehicleId: 'v1',
      ts: '2026-11-27T12:00:00.000Z',
      lat: 40.4,
      lon: -3.7,
      speedKmh: 12,
      heading: null,
      altitude: null,
      accuracy: 4,
      battery: null,
      attributes: null,
    };
    const { fixes, events } = splitLiveEvents([
      { event: 'position', data: JSON.stringify(position) },
      { event: 'position', data: '{"vehicleId":"v2","ts":"x","lat":"north"}' },
      { event: 'position', data: 'not json' },
      { event: 'event', data: JSON.stringify({ id: 'e1', vehicleId: 'v1', type: 'overspeed', ts: position.ts }) },
      { event: 'other', data: '{}' },
    ]);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ vehicleId: 'v1', lat: 40.4, speedKmh: 12, tsMs: Date.parse(position.ts) });
    expect(events).toEqual([
      expect.objectContaining({ id: 'e1', type: 'overspeed', geofenceId: null, attributes: {} }),
    ]);
  });

  it('names the events the server retracted', () => {
    const retractedEvent = { id: 'e7', vehicleId: 'v1', type: 'geofence_enter', ts: '2026-11-27T12:00:00.000Z' };
    const { events, retracted } = splitLiveEvents([
      { event: 'event_retracted', data: JSON.stringify({ ...retractedEvent, retractedAt: '2026-11-27T12:05:00Z' }) },
      { event: 'event_retracted', data: 'not json' },
    ]);
    expect(events).toEqual([]);
    expect(retracted).toEqual(['e7']);
  });
});
