import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useToast } from '../components/toasts';
import { useLive } from '../live/context';
import { describeEvent } from './event-text';

const KIND = { overspeed: 'warning', device_offline: 'warning' } as const;

/** A toast for every new event of the live stream, wherever the operator is. */
export function EventToasts() {
  const { t } = useTranslation();
  const { feed, store, geofenceNames } = useLive();
  const notify = useToast();
  useEffect(
    () =>
      feed.subscribe((event) =>
        notify({
          title: t(`events.type.${event.type}`),
          body: describeEvent(
            t,
            { ...event, geofenceName: event.geofenceId ? geofenceNames.get(event.geofenceId) : null },
            store.name(event.vehicleId),
          ),
          kind: KIND[event.type as keyof typeof KIND] ?? 'info',
        }),
      ),
    [feed, store, geofenceNames, notify, t],
  );
  return null;
}
