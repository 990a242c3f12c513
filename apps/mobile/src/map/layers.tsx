import { GeoJSONSource, Layer } from '@maplibre/maplibre-react-native';
import type { VehicleMarkers } from './features';

/**
 * Vehicles as dots in their status colour (white ring; offline ones faded, so colour is not the only
 * cue). A press on a dot (MapLibre's 44 px hitbox) gives its vehicle id.
 */
export function VehicleMarkerLayer({
  id,
  markers,
  onPress,
}: {
  id: string;
  markers: VehicleMarkers;
  onPress?: (vehicleId: string) => void;
}) {
  return (
    <GeoJSONSource
      id={id}
      data={markers}
      onPress={
        onPress &&
        ((event) => {
          const vehicleId = event.nativeEvent.features.find((f) => typeof f.properties?.['vehicleId'] === 'string')
            ?.properties?.['vehicleId'] as string | undefined;
          if (vehicleId) onPress(vehicleId);
        })
      }
    >
      <Layer
        id={`${id}-dots`}
        type="circle"
        paint={{
          'circle-radius': 8,
          'circle-color': ['get', 'colour'],
          'circle-stroke-width': 2,
          'circle-stroke-color': '#ffffff',
          'circle-opacity': ['case', ['==', ['get', 'status'], 'offline'], 0.55, 1],
        }}
      />
    </GeoJSONSource>
  );
}

/** A track as a line under the markers. */
export function TrackLayer({ id, track }: { id: string; track: GeoJSON.Feature<GeoJSON.LineString> }) {
  return (
    <GeoJSONSource id={id} data={track}>
      <Layer
        id={`${id}-line`}
        type="line"
        layout={{ 'line-join': 'round', 'line-cap': 'round' }}
        paint={{ 'line-color': '#1f6feb', 'line-width': 4, 'line-opacity': 0.85 }}
      />
    </GeoJSONSource>
  );
}
