import { LogManager } from '@maplibre/maplibre-react-native';
import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * MapLibre Native reports a tile it could not get (offline, refused token, server error) only in its
 * log: `Failed to load tile <id> for source <source>: <reason>` (both platforms). A missing tile (404)
 * is not an error there: it is drawn empty.
 */
const TILE_FAILURE = /^Failed to load tile \S+ for source (\S+?):/;

type Listener = (source: string) => void;
const listeners = new Set<Listener>();
let installed = false;

/** Calls `listener` with the source of every tile that failed, while subscribed. */
export function onTileFailure(listener: Listener): () => void {
  if (!installed) {
    installed = true;
    // One handler for the app (MapLibre keeps one); tile failures are shown as a notice, not logged
    // (in development each would raise a red error box).
    LogManager.onLog(({ message }) => {
      const source = TILE_FAILURE.exec(message)?.[1];
      if (source === undefined) return false;
      for (const l of listeners) l(source);
      return listeners.size > 0;
    });
  }
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** After this many failures with no clean frame in between, the tiles count as down (as on the web). */
export const TILES_DOWN_AFTER = 4;

/**
 * Whether the base tiles are down, and the callback to give the map's `onDidFinishRenderingMapFully`:
 * a fully rendered map without a new failure since the last one means tiles come again.
 */
export function useTilesDown(source: string): { tilesDown: boolean; onRendered: () => void } {
  const failures = useRef(0);
  const sinceRendered = useRef(0);
  const [tilesDown, setTilesDown] = useState(false);
  useEffect(
    () =>
      onTileFailure((failed) => {
        if (failed !== source) return;
        sinceRendered.current += 1;
        if (++failures.current >= TILES_DOWN_AFTER) setTilesDown(true);
      }),
    [source],
  );
  const onRendered = useCallback(() => {
    if (sinceRendered.current === 0) {
      failures.current = 0;
      setTilesDown(false);
    }
    sinceRendered.current = 0;
  }, []);
  return { tilesDown, onRendered };
}
