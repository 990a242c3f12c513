import { polygonLatLngs, shapeInput } from './shapes';

describe('shapeInput', () => {
  it('closes an open polygon ring and keeps [lon, lat] order', () => {
    const input = shapeInput(' Depot ', {
      kind: 'polygon',
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [-3.7, 40.4],
            [-3.69, 40.4],
            [-3.69, 40.41],
          ],
        ],
      },
    });
    expect(input).toEqual({
      name: 'Depot',
      kind: 'polygon',
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [-3.7, 40.4],
            [-3.69, 40.4],
            [-3.69, 40.41],
            [-3.7, 40.4],
          ],
        ],
      },
      attributes: {},
    });
  });

  it('refuses a polygon with fewer than 3 distinct corners', () => {
    expect(
      shapeInput('x', {
        kind: 'polygon',
        polygon: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
      }),
    ).toEqual({ error: 'geofences.polygonTooSmall' });
  });

  it('takes a circle within 10 m … 100 km', () => {
    const c = { lat: 40.4, lon: -3.7 };
    expect(shapeInput('C', { kind: 'circle', center: c, radiusM: 250.04 })).toEqual({
      name: 'C',
      kind: 'circle',
      center: c,
      radiusM: 250,
      attributes: {},
    });
    expect(shapeInput('C', { kind: 'circle', center: c, radiusM: 5 })).toEqual({ error: 'geofences.circleTooSmall' });
    expect(shapeInput('C', { kind: 'circle', center: c, radiusM: 200_000 })).toEqual({
      error: 'geofences.circleTooLarge',
    });
  });

  it('turns stored GeoJSON rings into Leaflet [lat, lng] rings', () => {
    expect(
      polygonLatLngs({
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [-3.7, 40.4],
              [-3.6, 40.5],
            ],
          ],
        },
      }),
    ).toEqual([
      [
        [40.4, -3.7],
        [40.5, -3.6],
      ],
    ]);
  });
});
