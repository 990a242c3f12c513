import type { Map as LeafletMap } from 'leaflet';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { MapContainer, TileLayer, useMap } from 'react-leaflet';
import { useConfig } from '../app/config-context';

function Ready({ onReady }: { onReady: (map: LeafletMap) => void }) {
  const map = useMap();
  useEffect(() => onReady(map), [map, onReady]);
  return null;
}

/**
 * The map every page uses: tiles from the configured URL (OpenStreetMap by default) and vector
 * layers drawn on a canvas. Tiles are decoration: when they cannot load (offline, bad token) a notice
 * says so and markers, tracks and geofences keep working on the blank background.
 */
export function BaseMap({
  onReady,
  children,
  label,
  className,
}: {
  onReady?: (map: LeafletMap) => void;
  children?: ReactNode;
  label: string;
  className?: string;
}) {
  const config = useConfig();
  const { t } = useTranslation();
  // Counted in refs: every pan without tiles fails a dozen of them, and re-rendering the map for each
  // would cost frames. Only crossing the threshold changes what is shown.
  const failures = useRef(0);
  const loaded = useRef(0);
  const [tilesDown, setTilesDown] = useState(false);
  const tileEvents = useMemo(
    () => ({
      tileerror: () => {
        if (++failures.current >= 4 && loaded.current === 0) setTilesDown(true);
      },
      tileload: () => {
        if (loaded.current++ === 0) setTilesDown(false);
      },
    }),
    [],
  );
  return (
    <div className={`map-wrap ${className ?? ''}`}>
      <MapContainer
        center={config.center}
        zoom={config.zoom}
        preferCanvas
        className="map"
        zoomControl
        attributionControl
        aria-label={label}
      >
        <TileLayer
          url={config.tileUrl}
          attribution={config.attribution}
          // `{accessToken}` in the URL template is filled from this option (Mapbox-style providers).
          {...({ accessToken: config.tileToken ?? '' } as object)}
          maxZoom={19}
          eventHandlers={tileEvents}
        />
        {onReady && <Ready onReady={onReady} />}
        {children}
      </MapContainer>
      {tilesDown && (
        <div className="map-notice" role="note">
          {t('map.tilesUnavailable')}
        </div>
      )}
    </div>
  );
}
