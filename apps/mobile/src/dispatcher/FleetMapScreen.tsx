import type { VehicleStatus } from '@fleet/contracts';
import type { CameraRef } from '@maplibre/maplibre-react-native';
import { useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActivityIndicator, Pressable, StyleSheet, Text, View } from 'react-native';
import { BaseMap } from '../map/BaseMap';
import { useMapConfig, type MapServer } from '../map/config';
import { vehicleMarkers } from '../map/features';
import { VehicleMarkerLayer } from '../map/layers';
import { viewOf, type MapView } from '../map/style';
import { statusOf, type FleetVehicle } from './fleet';
import type { LiveFleet } from './useLiveFleet';

/**
 * Every vehicle of the live fleet on the map, coloured by status as on the web; a tap opens the
 * vehicle. The camera opens around the whole fleet and stays where the user puts it as vehicles move;
 * "Show all" brings the whole fleet back into view.
 */
export function FleetMapScreen({
  server,
  live,
  onOpen,
}: {
  server: MapServer;
  live: LiveFleet;
  onOpen: (vehicle: FleetVehicle) => void;
}) {
  const { t } = useTranslation();
  const config = useMapConfig(server);
  const camera = useRef<CameraRef>(null);
  const vehicles = useMemo(() => (live.fleet ? [...live.fleet.values()] : []), [live.fleet]);
  // Statuses change as time passes (a silent vehicle turns offline): the markers are rebuilt when one
  // does, not on every tick of the clock.
  const statuses = vehicles.map((v) => statusOf(v, live.nowMs)).join();
  const markers = useMemo(() => vehicleMarkers(vehicles, statuses.split(',') as VehicleStatus[]), [vehicles, statuses]);
  const points = useMemo(() => vehicles.map((v) => [v.lon, v.lat]), [vehicles]);
  // Where the camera opens is decided once, when the map first appears.
  const [initialView, setInitialView] = useState<MapView | null>(null);
  if (config && live.fleet && !initialView) setInitialView(viewOf(points, config));

  if (!live.fleet && live.error)
    return (
      <View style={styles.centre}>
        <Text role="alert">
          {t('fleet.loadFailed', { message: live.error instanceof Error ? live.error.message : String(live.error) })}
        </Text>
        <Pressable role="button" onPress={() => void live.reload()} style={styles.button}>
          <Text>{t('fleet.retry')}</Text>
        </Pressable>
      </View>
    );
  if (!config || !initialView) return <ActivityIndicator style={styles.centre} />;

  const showAll = () => {
    const view = viewOf(points, config);
    if ('bounds' in view) camera.current?.fitBounds(view.bounds, { padding: view.padding, duration: 600 });
    else camera.current?.easeTo({ ...view, duration: 600 });
  };

  return (
    <View style={styles.screen}>
      <BaseMap
        config={config}
        serverUrl={server.serverUrl}
        initialView={initialView}
        cameraRef={camera}
        label={t('map.fleetLabel')}
      >
        <VehicleMarkerLayer
          id="vehicles"
          markers={markers}
          onPress={(vehicleId) => {
            const vehicle = live.fleet?.get(vehicleId);
            if (vehicle) onOpen(vehicle);
          }}
        />
      </BaseMap>
      <View style={styles.bar}>
        {live.stream === 'reconnecting' ? <Text style={styles.notLive}>{t('fleet.offlineStream')}</Text> : null}
        {vehicles.length === 0 ? <Text style={styles.note}>{t('fleet.none')}</Text> : null}
        <Pressable role="button" onPress={showAll} style={[styles.button, styles.showAll]} disabled={!vehicles.length}>
          <Text>{t('map.showAll')}</Text>
        </Pressable>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1 },
  centre: { flex: 1, justifyContent: 'center', alignItems: 'center', padding: 24, gap: 12 },
  button: { padding: 10, borderWidth: 1, borderRadius: 6, borderColor: '#999', backgroundColor: '#fff' },
  bar: { position: 'absolute', left: 8, right: 8, bottom: 24, flexDirection: 'row', alignItems: 'center', gap: 8 },
  showAll: { marginLeft: 'auto' },
  notLive: { color: '#b00020', backgroundColor: 'rgba(255,255,255,0.85)', padding: 4 },
  note: { color: '#333', backgroundColor: 'rgba(255,255,255,0.85)', padding: 4 },
});
