import type { Geofence } from '@fleet/contracts';
import L from 'leaflet';
import { polygonLatLngs, type DrawnShape } from './shapes';

type ShapeLayer = L.Polygon | L.Circle;

const STYLE = { color: '#8250df', weight: 2, fillOpacity: 0.12 };

function layerOf(g: Geofence): ShapeLayer {
  return g.kind === 'circle' && g.center && g.radiusM
    ? L.circle([g.center.lat, g.center.lon], { ...STYLE, radius: g.radiusM })
    : L.polygon(polygonLatLngs(g), STYLE);
}

/** A drawn or edited layer in the API's terms. */
function shapeOf(layer: ShapeLayer): DrawnShape {
  if (layer instanceof L.Circle) {
    const c = layer.getLatLng();
    return { kind: 'circle', center: { lat: c.lat, lon: c.lng }, radiusM: layer.getRadius() };
  }
  const geometry = layer.toGeoJSON().geometry;
  const coordinates =
    geometry.type === 'MultiPolygon'
      ? (geometry.coordinates[0] as number[][][])
      : (geometry.coordinates as number[][][]);
  return { kind: 'polygon', polygon: { type: 'Polygon', coordinates } };
}

/**
 * Loads the drawing plugin (geoman) when the geofences page is first opened: most sessions never
 * draw. It must be loaded before the map and its layers are created (it equips them as they are
 * constructed).
 */
let geoman: Promise<unknown> | undefined;
export const loadGeoman = () =>
  (geoman ??= Promise.all([
    import('@geoman-io/leaflet-geoman-free'),
    import('@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css'),
  ]));

/**
 * The geofences on the map, imperatively (like VehicleLayer): the saved ones with their names, the
 * drawing toolbar (geoman) for those who may edit, the one shape being drawn and the one being
 * reshaped. React keeps the list and the forms; this class keeps the Leaflet layers.
 */
export class GeofenceLayer {
  private readonly group = L.featureGroup();
  private readonly layers = new Map<string, ShapeLayer>();
  private geofences: readonly Geofence[] = [];
  private drawn: ShapeLayer | undefined;
  private toolbar = false;
  private readonly onCreate = (e: { layer: L.Layer }) => {
    this.drawn?.remove();
    this.drawn = e.layer as ShapeLayer;
    this.options.onDrawn(this.drawn instanceof L.Circle ? 'circle' : 'polygon');
  };

  constructor(
    private readonly map: L.Map,
    private readonly options: {
      /** A new shape was drawn (it stays on the map until saved or cancelled). */
      onDrawn: (kind: DrawnShape['kind']) => void;
    },
  ) {
    this.group.addTo(map);
  }

  /** The drawing toolbar (polygon, rectangle, circle), in the page's language. */
  enableDrawing(language: string) {
    this.map.pm.setLang(language === 'es' ? 'es' : 'en');
    this.map.pm.addControls({
      position: 'topleft',
      drawMarker: false,
      drawCircleMarker: false,
      drawPolyline: false,
      drawText: false,
      drawRectangle: true,
      drawPolygon: true,
      drawCircle: true,
      editMode: false,
      dragMode: false,
      cutPolygon: false,
      removalMode: false,
      rotateMode: false,
    });
    if (!this.toolbar) this.map.on('pm:create', this.onCreate);
    this.toolbar = true;
  }

  disableDrawing() {
    if (!this.toolbar) return;
    this.map.off('pm:create', this.onCreate);
    this.map.pm?.removeControls();
    this.toolbar = false;
  }

  /**
   * Shows the saved geofences (replacing what was shown, reshaping included) and fits the map to them,
   * unless a new shape is being drawn.
   */
  show(geofences: readonly Geofence[]) {
    this.geofences = geofences;
    this.group.clearLayers();
    this.layers.clear();
    for (const geofence of geofences) {
      const layer = layerOf(geofence).bindTooltip(geofence.name).addTo(this.group);
      this.layers.set(geofence.id, layer);
    }
    if (geofences.length && !this.drawn)
      this.map.fitBounds(this.group.getBounds(), { padding: [30, 30], maxZoom: 15, animate: false });
  }

  /** Brings one saved geofence into view. */
  focus(id: string) {
    const layer = this.layers.get(id);
    if (layer) this.map.fitBounds(layer.getBounds(), { padding: [40, 40] });
  }

  /** The shape drawn and not yet saved, if any. */
  drawnShape(): DrawnShape | undefined {
    return this.drawn && shapeOf(this.drawn);
  }

  /** Takes the drawn shape off the map (saved, or cancelled). */
  clearDrawn() {
    this.drawn?.remove();
    this.drawn = undefined;
  }

  /** Lets the user reshape a saved geofence (its vertices, or a circle's centre and radius). */
  startEdit(id: string): boolean {
    const layer = this.layers.get(id);
    if (!layer?.pm) return false;
    layer.pm.enable({ allowSelfIntersection: false });
    this.map.fitBounds(layer.getBounds(), { padding: [40, 40] });
    return true;
  }

  /** Ends reshaping and answers the new shape (undefined when the geofence is no longer shown). */
  finishEdit(id: string): DrawnShape | undefined {
    const layer = this.layers.get(id);
    layer?.pm?.disable();
    return layer && shapeOf(layer);
  }

  /** Shows the saved shapes again as they were last given (a reshaping cancelled or refused). */
  restore() {
    this.show(this.geofences);
  }

  remove() {
    this.disableDrawing();
    this.clearDrawn();
    this.group.remove();
    this.layers.clear();
  }
}
