import L from 'leaflet';
import Supercluster, { type ClusterProperties, type PointFeature } from 'supercluster';
import { vehicleStatus, type VehicleStatus } from '../live/status';
import type { FleetStore } from '../live/store';
import { arrowStyle, clusterIcon, vehicleClasses, vehicleIcon } from './icons';

interface PointProps {
  id: string;
  status: VehicleStatus;
  heading: number | null;
}
interface ClusterProps {
  moving: number;
  stopped: number;
}

interface Shown {
  marker: L.Marker;
  /** What the marker's DOM shows now, to touch the DOM only when it changes. */
  look: string;
  lat: number;
  lon: number;
}

/** Above this zoom every vehicle is its own marker. */
export const CLUSTER_MAX_ZOOM = 15;

/**
 * The fleet on the map, imperatively (outside React: thousands of updates a second). Vehicles are
 * clustered with supercluster, and only what is in view is on the map: a few hundred markers at most,
 * whatever the fleet size. Markers are reused between updates; an update moves them and changes their
 * look only when something changed.
 */
export class VehicleLayer {
  private index = new Supercluster<PointProps, ClusterProps>({
    radius: 80,
    maxZoom: CLUSTER_MAX_ZOOM,
    map: (p) => ({ moving: p.status === 'moving' ? 1 : 0, stopped: p.status === 'stopped' ? 1 : 0 }),
    reduce: (acc, p) => {
      acc.moving += p.moving;
      acc.stopped += p.stopped;
    },
  });
  private readonly group = L.layerGroup();
  private readonly shown = new Map<string, Shown>();
  private selected: string | undefined;
  /** Only these vehicles are drawn (a group filter); undefined: every vehicle. */
  private only: ReadonlySet<string> | undefined;
  private readonly unsubscribe: () => void;
  private readonly onMove = () => this.render();
  private now = Date.now();
  private frame: number | undefined;

  constructor(
    private readonly map: L.Map,
    private readonly store: FleetStore,
    private readonly options: {
      onSelect: (vehicleId: string) => void;
      clock?: () => number;
    },
  ) {
    this.group.addTo(map);
    map.on('moveend', this.onMove);
    // In a frame of its own, not in the task that also re-renders the list.
    this.unsubscribe = store.subscribe(() => {
      if (this.frame === undefined) this.frame = requestAnimationFrame(() => ((this.frame = undefined), this.reload()));
    });
    this.reload();
  }

  /** Re-reads the store: statuses, positions, clusters. */
  reload() {
    this.now = (this.options.clock ?? Date.now)();
    const features: PointFeature<PointProps>[] = [];
    for (const fix of this.store.fixes.values()) {
      if (this.only && !this.only.has(fix.vehicleId)) continue;
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [fix.lon, fix.lat] },
        properties: {
          id: fix.vehicleId,
          status: vehicleStatus(fix, this.now),
          heading: fix.heading,
        },
      });
    }
    this.index.load(features);
    this.render();
  }

  /** Draws only these vehicles (undefined: all of them). */
  setFilter(only: ReadonlySet<string> | undefined) {
    this.only = only;
    this.reload();
  }

  setSelected(vehicleId: string | undefined) {
    this.selected = vehicleId;
    this.render();
  }

  /** Number of markers on the map now (vehicles plus clusters). */
  get markerCount() {
    return this.shown.size;
  }

  private render() {
    const b = this.map.getBounds().pad(0.2);
    const zoom = Math.round(this.map.getZoom());
    const west = Math.max(-180, b.getWest());
    const east = Math.min(180, b.getEast());
    const items = this.index.getClusters([west, Math.max(-85, b.getSouth()), east, Math.min(85, b.getNorth())], zoom);
    const keep = new Set<string>();
    for (const item of items) {
      const [lon, lat] = item.geometry.coordinates;
      const props = item.properties as Partial<ClusterProperties & ClusterProps> & Partial<PointProps>;
      if (props.cluster) {
        const clusterId = props.cluster_id!;
        const count = props.point_count!;
        const key = `c:${clusterId}:${count}`;
        keep.add(key);
        const look = `${count}/${props.moving}/${props.stopped}`;
        this.place(key, lat, lon, look, () => {
          const marker = L.marker([lat, lon], {
            icon: clusterIcon(count, props.moving!, props.stopped!),
            keyboard: true,
            title: `${count}`,
            alt: `${count}`,
          });
          marker.on('click', () => {
            const expansion = this.index.getClusterExpansionZoom(clusterId);
            this.map.setView([lat, lon], Math.min(expansion, CLUSTER_MAX_ZOOM + 1));
          });
          return marker;
        });
      } else {
        const id = props.id!;
        const key = `v:${id}`;
        keep.add(key);
        const selected = id === this.selected;
        const look = `${vehicleClasses(props.status!, props.heading ?? null, selected)}|${arrowStyle(props.heading ?? null)}`;
        const name = this.store.name(id);
        this.place(key, lat, lon, look, () => {
          const marker = L.marker([lat, lon], {
            icon: vehicleIcon(id, props.status!, props.heading ?? null, selected),
            keyboard: true,
            title: name,
            alt: name,
            zIndexOffset: selected ? 1000 : 0,
          });
          marker.on('click', () => this.options.onSelect(id));
          return marker;
        });
      }
    }
    for (const [key, shown] of this.shown) {
      if (!keep.has(key)) {
        this.group.removeLayer(shown.marker);
        this.shown.delete(key);
      }
    }
  }

  private place(key: string, lat: number, lon: number, look: string, create: () => L.Marker) {
    const shown = this.shown.get(key);
    if (!shown) {
      const marker = create();
      this.group.addLayer(marker);
      this.shown.set(key, { marker, look, lat, lon });
      return;
    }
    if (shown.lat !== lat || shown.lon !== lon) {
      shown.marker.setLatLng([lat, lon]);
      shown.lat = lat;
      shown.lon = lon;
    }
    if (shown.look !== look) {
      shown.look = look;
      if (key.startsWith('v:')) {
        const el = shown.marker.getElement()?.querySelector<HTMLElement>('.vm');
        const [classes, style] = look.split('|');
        if (el) {
          el.className = `vm ${classes}`;
          el.setAttribute('style', style);
        }
        shown.marker.setZIndexOffset(classes.includes('vm--selected') ? 1000 : 0);
      } else {
        this.group.removeLayer(shown.marker);
        this.shown.delete(key);
        this.place(key, lat, lon, look, create);
      }
    }
  }

  remove() {
    this.unsubscribe();
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.map.off('moveend', this.onMove);
    this.group.remove();
    this.shown.clear();
  }
}
