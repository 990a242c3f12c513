import type { Geofence } from '@fleet/contracts';
import L from 'leaflet';
import { GeofenceLayer } from './geofence-layer';

// geoman equips the global Leaflet (the page loads it with loadGeoman, before the map exists).
beforeAll(async () => {
  (globalThis as { L?: typeof L }).L = L;
  await import('@geoman-io/leaflet-geoman-free');
});

const square: Geofence = {
  id: '6f1c2a4e-0d7b-4c1e-9a55-1f0e2d3c4b5a',
  name: 'Depot',
  kind: 'polygon',
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [-3.71, 40.41],
        [-3.7, 40.41],
        [-3.7, 40.42],
        [-3.71, 40.42],
        [-3.71, 40.41],
      ],
    ],
  },
  center: null,
  radiusM: null,
  attributes: {},
  createdAt: '2026-11-27T08:00:00Z',
  updatedAt: '2026-11-27T08:00:00Z',
};

const circle: Geofence = {
  ...square,
  id: '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d',
  name: 'Yard',
  kind: 'circle',
  center: { lat: 40.5, lon: -3.6 },
  radiusM: 250,
};

function setUp() {
  const container = document.createElement('div');
  // jsdom lays nothing out: give the map a size so that fitting bounds means something.
  Object.defineProperty(container, 'clientWidth', { value: 800 });
  Object.defineProperty(container, 'clientHeight', { value: 600 });
  document.body.append(container);
  const map = L.map(container, { center: [0, 0], zoom: 2 });
  const drawn: string[] = [];
  const layer = new GeofenceLayer(map, { onDrawn: (kind) => drawn.push(kind) });
  const shapes = () => {
    const found: L.Layer[] = [];
    map.eachLayer((l) => void ((l instanceof L.Polygon || l instanceof L.Circle) && found.push(l)));
    return found;
  };
  return { map, layer, drawn, shapes };
}

describe('GeofenceLayer', () => {
  it('shows the saved geofences named, replaces them when the list changes, and fits the map to them', () => {
    const { map, layer, shapes } = setUp();
    layer.show([square, circle]);
    expect(shapes()).toHaveLength(2);
    expect(map.getBounds().contains([40.415, -3.705])).toBe(true);
    expect(map.getBounds().contains([40.5, -3.6])).toBe(true);
    layer.show([square]);
    expect(shapes()).toHaveLength(1);
    expect(shapes()[0].getTooltip()?.getContent()).toBe('Depot');
  });

  it('keeps a drawn shape until it is cleared, answers it in the API’s terms, and does not refit while drawing', () => {
    const { map, layer, drawn, shapes } = setUp();
    layer.enableDrawing('en');
    const polygon = L.polygon([
      [10, 10],
      [10, 11],
      [11, 11],
    ]).addTo(map);
    map.fire('pm:create', { layer: polygon, shape: 'Polygon' });
    expect(drawn).toEqual(['polygon']);
    expect(layer.drawnShape()).toMatchObject({ kind: 'polygon', polygon: { type: 'Polygon' } });
    const view = map.getBounds();
    layer.show([square]);
    expect(map.getBounds().equals(view)).toBe(true);
    layer.clearDrawn();
    expect(layer.drawnShape()).toBeUndefined();
    expect(shapes()).toHaveLength(1); // the saved square only
  });

  it('answers a drawn circle by its centre and radius', () => {
    const { map, layer } = setUp();
    layer.enableDrawing('es');
    map.fire('pm:create', { layer: L.circle([40, -3], { radius: 120 }).addTo(map), shape: 'Circle' });
    expect(layer.drawnShape()).toEqual({ kind: 'circle', center: { lat: 40, lon: -3 }, radiusM: 120 });
  });

  it('reshapes a saved geofence and restores the saved shape when the change is abandoned', () => {
    const { layer, shapes } = setUp();
    layer.show([circle]);
    expect(layer.startEdit(circle.id)).toBe(true);
    (shapes()[0] as L.Circle).setRadius(900);
    expect(layer.finishEdit(circle.id)).toMatchObject({ kind: 'circle', radiusM: 900 });
    layer.restore();
    expect((shapes()[0] as L.Circle).getRadius()).toBe(250);
    expect(layer.startEdit('unknown')).toBe(false);
  });

  it('takes its layers and toolbar off the map when removed', () => {
    const { map, layer, shapes } = setUp();
    layer.enableDrawing('en');
    layer.show([square, circle]);
    layer.remove();
    expect(shapes()).toHaveLength(0);
    expect(map.pm.controlsVisible()).toBe(false);
  });
});
