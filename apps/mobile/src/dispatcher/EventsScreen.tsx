import type { EventDetail } from '@fleet/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActivityIndicator, Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';
import type { DispatcherSession } from '../session/dispatcher-session';
import { afterGap, detailOf, EVENTS_PAGE, geofenceNames, mergeEvents } from './events';
import { EventsList } from './EventsList';
import type { LiveFleet } from './useLiveFleet';

export interface EventsScreenProps {
  session: DispatcherSession;
  /** The live stream's events (and the fleet's vehicle names for them); without it the list is not live. */
  live?: Pick<LiveFleet, 'fleet' | 'subscribeEvents'>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The organization's events, newest first: the first page of the list endpoint, more pages on
 * demand through its cursor, and new events from the live stream added at the top while the screen
 * is open — each event once, whether it came from a page, the stream or both.
 */
export function EventsScreen({ session, live }: EventsScreenProps) {
  const { t } = useTranslation();
  const [events, setEvents] = useState<EventDetail[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  const alive = useRef(true);
  const retracted = useRef(new Set<string>());
  // Bumped when the list restarts from the newest page: a "load more" answer for the old list is dropped.
  const listVersion = useRef(0);
  // Read by the stream's handler when an event arrives (for names), not as they were when it subscribed.
  const eventsRef = useRef<EventDetail[]>([]);
  const fleet = live?.fleet ?? null;
  const fleetRef = useRef(fleet);
  useEffect(() => {
    eventsRef.current = events;
    fleetRef.current = fleet;
  }, [events, fleet]);

  const add = useCallback((incoming: EventDetail[]) => {
    if (alive.current) setEvents((current) => mergeEvents(current, incoming, retracted.current));
  }, []);

  /**
   * The newest page: the first load, and again after a gap in the stream (then the list restarts
   * from it, keeping what the stream added meanwhile, and paging goes on from its cursor).
   */
  const loadNewest = useCallback(
    async (first: boolean) => {
      try {
        const page = await session.api.listEvents({ query: { limit: EVENTS_PAGE } });
        if (!alive.current) return;
        listVersion.current++;
        if (first) setEvents((current) => mergeEvents(current, page.items, retracted.current));
        else setEvents((current) => afterGap(current, page.items, retracted.current));
        setCursor(page.nextCursor);
        setLoaded(true);
        setError(null);
      } catch (err) {
        if (first && alive.current) setError(message(err));
      }
    },
    [session],
  );

  useEffect(() => {
    alive.current = true;
    void loadNewest(true);
    return () => {
      alive.current = false;
    };
  }, [loadNewest]);

  useEffect(() => {
    if (!live) return;
    return live.subscribeEvents((m) => {
      if (m.type === 'retracted') {
        retracted.current.add(m.id);
        if (alive.current) setEvents((current) => current.filter((e) => e.id !== m.id));
      } else if (m.type === 'gap') void loadNewest(false);
      else {
        const known = geofenceNames(eventsRef.current);
        const { detail, complete } = detailOf(m.event, {
          vehicle: (id) => fleetRef.current?.get(id)?.name,
          geofence: (id) => known.get(id),
        });
        add([detail]);
        // A name the app does not know yet (a new vehicle, a geofence no listed event named): the
        // server's copy of the event has it.
        if (!complete)
          void session.api
            .getEvent({ params: { id: detail.id } })
            .then((full) => add([full]))
            .catch(() => undefined);
      }
    });
  }, [live, session, add, loadNewest]);

  const loadMore = async () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setMoreError(null);
    const version = listVersion.current;
    try {
      const page = await session.api.listEvents({ query: { limit: EVENTS_PAGE, cursor } });
      if (version !== listVersion.current) return;
      add(page.items);
      if (alive.current) setCursor(page.nextCursor);
    } catch (err) {
      if (alive.current) setMoreError(t('events.loadFailed', { message: message(err) }));
    } finally {
      if (alive.current) setLoadingMore(false);
    }
  };

  if (error && !loaded)
    return (
      <View style={styles.failed}>
        <Text role="alert">{t('events.loadFailed', { message: error })}</Text>
        <Pressable role="button" style={styles.more} onPress={() => void loadNewest(true)}>
          <Text style={styles.moreText}>{t('fleet.retry')}</Text>
        </Pressable>
      </View>
    );
  if (!loaded) return <ActivityIndicator accessibilityLabel={t('events.title')} />;
  return (
    <ScrollView>
      <EventsList events={events} showVehicle />
      {moreError ? (
        <Text role="alert" style={styles.error}>
          {moreError}
        </Text>
      ) : null}
      {cursor ? (
        loadingMore ? (
          <ActivityIndicator accessibilityLabel={t('events.loadingMore')} style={styles.more} />
        ) : (
          <Pressable role="button" style={styles.more} onPress={() => void loadMore()}>
            <Text style={styles.moreText}>{t('events.loadMore')}</Text>
          </Pressable>
        )
      ) : events.length > 0 ? (
        <Text style={styles.end}>{t('events.end')}</Text>
      ) : null}
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  failed: { padding: 12, gap: 12 },
  more: { padding: 14, alignItems: 'center' },
  moreText: { color: '#1b5e20', fontWeight: '600' },
  error: { padding: 12, color: '#b00020' },
  end: { padding: 12, color: '#555', textAlign: 'center' },
});
