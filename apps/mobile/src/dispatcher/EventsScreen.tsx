import type { EventDetail } from '@fleet/contracts';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActivityIndicator, ScrollView, Text } from 'react-native';
import type { DispatcherSession } from '../session/dispatcher-session';
import { EventsList } from './EventsList';

/** The organization's latest events. */
export function EventsScreen({ session }: { session: DispatcherSession }) {
  const { t } = useTranslation();
  const [events, setEvents] = useState<EventDetail[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    session.api
      .listEvents({ query: { limit: 100 } })
      .then((page) => live && setEvents(page.items))
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [session]);
  if (error) return <Text role="alert">{error}</Text>;
  if (!events) return <ActivityIndicator accessibilityLabel={t('events.title')} />;
  return (
    <ScrollView>
      <EventsList events={events} showVehicle />
    </ScrollView>
  );
}
