import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useSession } from '../session/context';
import { splitLiveEvents } from './messages';
import { connectLive, type LiveState } from './sse';
import { EventFeed, FleetStore, fromFeature } from './store';

interface Live {
  store: FleetStore;
  feed: EventFeed;
  geofenceNames: Map<string, string>;
  reloadGeofenceNames: () => void;
  state: LiveState;
}

const LiveContext = createContext<Live | null>(null);

/**
 * While signed in: the vehicles, a snapshot of their last fixes, then the live stream on top. After a
 * reconnection that could not resume (no Last-Event-ID), the snapshot is read again.
 */
export function LiveProvider({ children, flushMs = 250 }: { children: ReactNode; flushMs?: number }) {
  const session = useSession();
  const api = session.api;
  const [store] = useState(() => new FleetStore({ flushMs }));
  const [feed] = useState(() => new EventFeed());
  const [geofenceNames] = useState(() => new Map<string, string>());
  const [state, setState] = useState<LiveState>('connecting');
  const [geofenceGeneration, setGeofenceGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let vehiclesLoadedAt = 0;
    const loadVehicles = () => {
      vehiclesLoadedAt = Date.now();
      api
        .allVehicles()
        .then((list) => !cancelled && store.setVehicles(list))
        .catch(() => undefined);
    };
    const loadLatest = () =>
      api
        .latest()
        .then((fc) => !cancelled && store.pushAll(fc.features.map(fromFeature)))
        .catch(() => undefined);
    loadVehicles();
    loadLatest();
    const stop = connectLive({
      url: '/api/v1/live',
      getToken: session.getToken,
      renew: session.renew,
      onState: setState,
      onOpen: (resumed) => {
        if (!resumed) loadLatest();
      },
      onEvents: (events) => {
        for (const e of events) {
          // The server could not replay from our Last-Event-ID (trimmed): read the snapshot again.
          if (e.event === 'resync') loadLatest();
          // The stream's token expired and the stream ends: renew now so the reconnection is signed in.
          // Revoked (disabled, role changed, deleted): the refresh fails too and the session ends.
          if (e.event === 'expired' || e.event === 'revoked') void session.renew();
        }
        const { fixes, events: tracking, retracted } = splitLiveEvents(events);
        let unknown = false;
        for (const fix of fixes) {
          if (!store.vehicles.has(fix.vehicleId)) unknown = true;
          store.push(fix);
        }
        // A vehicle created since the list was read: read it again (not more than twice a minute).
        if (unknown && store.vehicles.size > 0 && Date.now() - vehiclesLoadedAt > 30_000) loadVehicles();
        for (const e of tracking) feed.push(e);
        for (const id of retracted) feed.retract(id);
      },
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [api, session, store, feed]);

  useEffect(() => {
    let cancelled = false;
    api
      .geofences()
      .then((list) => {
        if (cancelled) return;
        geofenceNames.clear();
        for (const g of list.items) geofenceNames.set(g.id, g.name);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [api, geofenceNames, geofenceGeneration]);

  return (
    <LiveContext.Provider
      value={{ store, feed, geofenceNames, state, reloadGeofenceNames: () => setGeofenceGeneration((n) => n + 1) }}
    >
      {children}
    </LiveContext.Provider>
  );
}

export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside LiveProvider');
  return live;
}

/** Re-renders with the store (at most once per flush) and returns its version. */
export function useStoreVersion(store: FleetStore): number {
  return useSyncExternalStore(store.subscribe, store.getVersion);
}

/**
 * The vehicle ids in name order, re-rendering only when that list changes (a new vehicle, a rename),
 * not on every fix: for pickers and filters.
 */
export function useVehicleOrder(store: FleetStore): readonly string[] {
  return useSyncExternalStore(store.subscribe, () => store.orderedIds());
}

/** The current time, ticking every `ms` (ages and offline status move on without new data). */
export function useNow(ms = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}
