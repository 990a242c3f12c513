import type { Geofence } from '@fleet/contracts';
import type L from 'leaflet';
import { useEffect, useState } from 'react';
import { GeofenceLayer, loadGeoman } from './geofence-layer';
import type { DrawnShape } from './shapes';

/** Whether the drawing plugin is loaded (the map may be created only then), or why it failed. */
export function useGeoman(): { loaded: boolean; error: unknown } {
  const [state, setState] = useState<{ loaded: boolean; error: unknown }>({ loaded: false, error: undefined });
  useEffect(() => {
    let cancelled = false;
    loadGeoman().then(
      () => !cancelled && setState({ loaded: true, error: undefined }),
      (error: unknown) => !cancelled && setState({ loaded: false, error }),
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return state;
}

/**
 * The GeofenceLayer of a map: the saved geofences shown as the list changes, the drawing toolbar
 * (in the page's language) for those who may edit, and the kind of the shape being drawn.
 */
export function useGeofenceLayer(
  map: L.Map | undefined,
  {
    geofences,
    editable,
    language,
  }: { geofences: readonly Geofence[] | undefined; editable: boolean; language: string },
) {
  const [layer, setLayer] = useState<GeofenceLayer>();
  const [drawing, setDrawing] = useState<DrawnShape['kind']>();
  const [toolbarReady, setToolbarReady] = useState(false);

  useEffect(() => {
    if (!map) return;
    const created = new GeofenceLayer(map, { onDrawn: setDrawing });
    setLayer(created);
    return () => {
      created.remove();
      setLayer(undefined);
    };
  }, [map]);

  useEffect(() => {
    if (!layer || !editable) return;
    layer.enableDrawing(language);
    setToolbarReady(true);
    return () => layer.disableDrawing();
  }, [layer, editable, language]);

  useEffect(() => {
    if (layer && geofences) layer.show(geofences);
  }, [layer, geofences]);

  return {
    layer,
    /** The kind of the shape drawn and not yet saved. */
    drawing,
    /** Takes the drawn shape off the map. */
    clearDrawing: () => {
      layer?.clearDrawn();
      setDrawing(undefined);
    },
    toolbarReady,
  };
}
