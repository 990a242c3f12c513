import { connectEventStream, type StreamEvent, type StreamState } from '@fleet/api-client';
import { LIVE_EVENT, LivePosition, RetractedEvent, TrackingEvent } from '@fleet/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { AppState } from 'react-native';
import type { DispatcherSession } from '../session/dispatcher-session';
import { fleetOf, withPosition, type Fleet } from './fleet';

/**
 * What the live stream says about events, for a screen that lists them: a new event, an event the
 * server retracted (a late fix re-evaluated), or `gap` — the stream could not resume where it was
 * (`resync`, a fresh connection), so events may have been missed: reload the newest page.
 */
export type LiveEventMessage =
  { type: 'event'; event: TrackingEvent } | { type: 'retracted'; id: string } | { type: 'gap' };

export interface LiveFleet {
  fleet: Fleet | null;
  /** Now, ticking every few seconds, for ages and statuses. */
  nowMs: number;
  stream: StreamState;
  error: unknown;
  reload: () => Promise<void>;
  /** Listens to the stream's events while subscribed (foreground only, like the stream); returns the unsubscribe. */
  subscribeEvents: (listener: (message: LiveEventMessage) => void) => () => void;
}

const TICK_MS = 5_000;

/**
 * The fleet's latest fixes, kept live by `/api/v1/live` while the app is in the foreground, and the
 * stream's events for whoever subscribes (the events screen). In the background the stream is closed
 * (the OS would kill it anyway, and it costs battery); back in the foreground the list is reloaded and
 * the stream reopened.
 */
export function useLiveFleet(session: DispatcherSession): LiveFleet {
  const [fleet, setFleet] = useState<Fleet | null>(null);
  const [nowMs, setNowMs] = useState(() => Date.now());
  const [stream, setStream] = useState<StreamState>('closed');
  const [error, setError] = useState<unknown>(null);
  const alive = useRef(true);
  // The stream's handler reads the fleet as it is now, not as it was when the stream opened.
  const fleetRef = useRef<Fleet | null>(null);
  const eventListeners = useRef(new Set<(message: LiveEventMessage) => void>());
  const subscribeEvents = useCallback((listener: (message: LiveEventMessage) => void) => {
    eventListeners.current.add(listener);
    return () => void eventListeners.current.delete(listener);
  }, []);

  const reload = useCallback(async () => {
    try {
      const latest = await session.api.latestPositions();
      if (!alive.current) return;
      fleetRef.current = fleetOf(latest);
      setFleet(fleetRef.current);
      setNowMs(Date.now());
      setError(null);
    } catch (err) {
      if (alive.current) setError(err);
    }
  }, [session]);

  useEffect(() => {
    alive.current = true;
    let close: (() => void) | undefined;

    const tell = (message: LiveEventMessage) => {
      for (const listener of [...eventListeners.current]) listener(message);
    };

    const onEvents = (events: StreamEvent[]) => {
      let unknownVehicle = false;
      const fixes: LivePosition[] = [];
      for (const e of events) {
        if (e.event === LIVE_EVENT.position) {
          const fix = LivePosition.safeParse(safeJson(e.data));
          if (fix.success) fixes.push(fix.data);
        } else if (e.event === LIVE_EVENT.event) {
          const event = TrackingEvent.safeParse(safeJson(e.data));
          if (event.success) tell({ type: 'event', event: event.data });
        } else if (e.event === LIVE_EVENT.eventRetracted) {
          const event = RetractedEvent.safeParse(safeJson(e.data));
          if (event.success) tell({ type: 'retracted', id: event.data.id });
        } else if (e.event === LIVE_EVENT.resync) {
          tell({ type: 'gap' });
          void reload();
        } else if (e.event === LIVE_EVENT.expired) {
          // The server ends the stream after this; connectEventStream reconnects with the renewed
          // token and Last-Event-ID, so nothing is missed.
          void session.renew();
        } else if (e.event === LIVE_EVENT.revoked) {
          close?.();
          void session.renew(); // refused: the session ends and the app goes back to sign-in
        }
      }
      const current = fleetRef.current;
      if (fixes.length && current) {
        let next: Fleet = current;
        for (const fix of fixes) {
          const moved = withPosition(next, fix);
          if (moved) next = moved;
          else unknownVehicle = true;
        }
        fleetRef.current = next;
        setFleet(next);
        setNowMs(Date.now());
      }
      if (unknownVehicle) void reload();
    };

    const open = () => {
      close?.();
      close = connectEventStream({
        url: session.api.urlOf(session.api.endpoints.liveStream, {}),
        getToken: () => session.token(),
        renew: () => session.renew(),
        fetch: session.fetch,
        onEvents,
        onState: (s) => alive.current && setStream(s),
        // A fresh connection (not resumed from Last-Event-ID) may have missed fixes: reload.
        onOpen: (resumed) => {
          if (resumed) return;
          void reload();
          tell({ type: 'gap' });
        },
      });
    };
    const shut = () => {
      close?.();
      close = undefined;
    };

    void reload();
    if (AppState.currentState !== 'background') open();
    const subscription = AppState.addEventListener('change', (state) => {
      if (state === 'active') {
        if (!close) open();
      } else if (state === 'background') shut();
    });
    const tick = setInterval(() => setNowMs(Date.now()), TICK_MS);
    return () => {
      alive.current = false;
      subscription.remove();
      clearInterval(tick);
      shut();
    };
  }, [session, reload]);

  return { fleet, nowMs, stream, error, reload, subscribeEvents };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
