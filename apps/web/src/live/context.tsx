import { connectEventStream, type StreamState } from '@fleet/api-client';
import { LIVE_EVENT } from '@fleet/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { keyOf } from '../data/api';
import { useGeofences } from '../geofences/queries';
import { useSession } from '../session/context';
import { splitLiveEvents } from './messages';
import { EventFeed, FleetStore, fromFeature } from './store';

export type LiveState = StreamState;

interface Live {
  store: FleetStore;
  feed: EventFeed;
  /** Geofence names by id, for event texts (from the cached geofence list: a write refreshes it). */
  geofenceNames: ReadonlyMap<string, string>;
  state: LiveState;
}

const LiveContext = createContext<Live | null>(null);

/** Every vehicle of the organization, under the list endpoint's name (the admin pages' writes refresh it). */
const VEHICLES = [...keyOf('listVehicles'), 'all'];

/**
 * While signed in: the vehicles, a snapshot of their last fixes, then the live stream on top. After a
 * reconnection that could not resume (no Last-Event-ID), the snapshot is read again.
 */
export function LiveProvider({ children, flushMs = 250 }: { children: ReactNode; flushMs?: number }) {
  const session = useSession();
  const api = session.api;
  const [store] = useState(() => new FleetStore({ flushMs }));
  const [feed] = useState(() => new EventFeed());
  const [state, setState] = useState<LiveState>('connecting');
  const geofences = useGeofences();
  const geofenceNames = useMemo(() => new Map((geofences.data ?? []).map((g) => [g.id, g.name])), [geofences.data]);
  // A vehicle created, renamed or deleted in the admin pages reaches the map and the pickers at once.
  const queryClient = useQueryClient();
  const vehicles = useQuery({ queryKey: VEHICLES, queryFn: () => api.allVehicles() });

  useEffect(() => {
    if (vehicles.data) store.setVehicles(vehicles.data);
  }, [store, vehicles.data]);

  useEffect(() => {
    let cancelled = false;
    let vehiclesLoadedAt = Date.now();
    const loadVehicles = () => {
      vehiclesLoadedAt = Date.now();
      void queryClient.invalidateQueries({ queryKey: VEHICLES });
    };
    const loadLatest = () =>
      api
        .latestPositions()
        .then((fc) => !cancelled && store.pushAll(fc.features.map(fromFeature)))
        .catch(() => undefined);
    loadLatest();
    const stop = connectEventStream({
      url: api.urlOf(api.endpoints.liveStream, {}),
      getToken: session.getToken,
      renew: session.renew,
      onState: setState,
      onOpen: (resumed) => {
        if (!resumed) loadLatest();
      },
      onEvents: (events) => {
        for (const e of events) {
          // The server could not replay from our Last-Event-ID (trimmed): read the snapshot again.
          if (e.event === LIVE_EVENT.resync) loadLatest();
          // The stream's token expired and the stream ends: renew now so the reconnection is signed in.
          // Revoked (disabled, role changed, deleted): the refresh fails too and the session ends.
          if (e.event === LIVE_EVENT.expired || e.event === LIVE_EVENT.revoked) void session.renew();
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
  }, [api, session, store, feed, queryClient]);

  return <LiveContext.Provider value={{ store, feed, geofenceNames, state }}>{children}</LiveContext.Provider>;
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
