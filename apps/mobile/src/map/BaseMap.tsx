import { MAX_TILE_ZOOM, type ClientConfig } from '@fleet/contracts';
import { Camera, Map as MapLibreMap, type CameraRef, type InitialViewState } from '@maplibre/maplibre-react-native';
import { useMemo, type ReactNode, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import { StyleSheet, Text, View, type StyleProp, type ViewStyle } from 'react-native';
import { BASE_SOURCE, mapStyleOf, plainAttribution } from './style';
import { useTilesDown } from './tile-health';

/**
 * The map every screen uses: the configured raster tiles (the web's), the tiles' attribution always
 * visible, and the layers given as children. Tiles are decoration: when they cannot load a notice
 * says so and the vehicles and tracks keep working on the plain background.
 */
export function BaseMap({
  config,
  serverUrl,
  initialView,
  cameraRef,
  label,
  style,
  children,
}: {
  config: ClientConfig;
  /** Tiles served beside the web app (`/tiles/…`) are fetched from this server. */
  serverUrl: string;
  initialView: InitialViewState;
  cameraRef?: Ref<CameraRef>;
  label: string;
  style?: StyleProp<ViewStyle>;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const mapStyle = useMemo(() => mapStyleOf(config, serverUrl), [config, serverUrl]);
  const attribution = useMemo(() => plainAttribution(config.attribution), [config.attribution]);
  const { tilesDown, onRendered } = useTilesDown(BASE_SOURCE);
  return (
    <View style={[styles.wrap, style]}>
      <MapLibreMap
        testID="map"
        accessibilityLabel={label}
        mapStyle={mapStyle}
        // The attribution is written out below (OpenStreetMap asks for it to be visible), not behind
        // MapLibre's (i) button; MapLibre itself asks for no logo.
        attribution={false}
        logo={false}
        touchPitch={false}
        onDidFinishRenderingMapFully={onRendered}
      >
        <Camera ref={cameraRef} initialViewState={initialView} maxZoom={MAX_TILE_ZOOM} />
        {children}
      </MapLibreMap>
      {attribution ? (
        <Text style={styles.attribution} testID="map-attribution">
          {attribution}
        </Text>
      ) : null}
      {tilesDown ? (
        <Text role="alert" style={styles.notice}>
          {t('map.tilesUnavailable')}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  wrap: { flex: 1, overflow: 'hidden' },
  attribution: {
    position: 'absolute',
    right: 0,
    bottom: 0,
    paddingHorizontal: 4,
    fontSize: 10,
    color: '#333',
    backgroundColor: 'rgba(255,255,255,0.75)',
  },
  notice: {
    position: 'absolute',
    top: 8,
    left: 8,
    right: 8,
    padding: 8,
    borderRadius: 6,
    color: '#fff',
    backgroundColor: 'rgba(60,60,60,0.85)',
    textAlign: 'center',
  },
});
