import { STATUS_COLOURS, type HistoryFeatureCollection, type VehicleStatus } from '@fleet/contracts';
import type { LngLat } from '@maplibre/maplibre-react-native';

/** What a marker needs of a vehicle (the fleet list's FleetVehicle has it). */
export interface MapVehicle {
  vehicleId: string;
  name: string;
  tsMs: number;
  lat: number;
  lon: number;
}

export interface VehicleMarkerProperties {
  vehicleId: string;
  name: string;
  status: VehicleStatus;
  /** The web's colour of the status. */
  colour: string;
}

export type VehicleMarkers = GeoJSON.FeatureCollection<GeoJSON.Point, VehicleMarkerProperties>;

/** One Point per vehicle, with its status (`statuses[i]` is the i-th vehicle's) and the web's colour of it. */
export function vehicleMarkers(vehicles: readonly MapVehicle[], statuses: readonly VehicleStatus[]): VehicleMarkers {
  return {
    type: 'FeatureCollection',
    features: vehicles.map((v, i) => {
      const status = statuses[i] ?? 'offline';
      return {
        type: 'Feature',
        id: v.vehicleId,
        geometry: { type: 'Point', coordinates: [v.lon, v.lat] },
        properties: { vehicleId: v.vehicleId, name: v.name, status, colour: STATUS_COLOURS[status] },
      };
    }),
  };
}

/**
 * The day's track as a line: the history's fixes in order (altitude dropped), then the live position
 * when it is newer than the last of them, so the line reaches the marker. Null when there is no line to
 * draw (fewer than two points).
 */
export function trackOf(
  history: HistoryFeatureCollection,
  latest?: Pick<MapVehicle, 'tsMs' | 'lat' | 'lon'>,
): GeoJSON.Feature<GeoJSON.LineString> | null {
  const coordinates: LngLat[] = history.features.map((f) => [
    f.geometry.coordinates[0] ?? 0,
    f.geometry.coordinates[1] ?? 0,
  ]);
  const last = history.features.at(-1);
  if (latest && (!last || latest.tsMs > Date.parse(last.properties.ts))) coordinates.push([latest.lon, latest.lat]);
  if (coordinates.length < 2) return null;
  return { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates } };
}
