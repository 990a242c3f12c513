import type { TrackingEvent } from '@fleet/contracts';
import type { TFunction } from 'i18next';

/** "Van 03 entered Depot", in the current language. */
export function describeEvent(
  t: TFunction,
  event: Pick<TrackingEvent, 'type' | 'attributes'> & { geofenceName?: string | null },
  vehicleName: string,
): string {
  const speed = event.attributes['speedKmh'] ?? event.attributes['maxSpeedKmh'];
  const toName = event.attributes['toName'];
  const ruleName = event.attributes['ruleName'];
  return t(`events.text.${event.type}`, {
    vehicle: vehicleName,
    geofence: event.geofenceName ?? t('events.unknownGeofence'),
    speed: typeof speed === 'number' ? Math.round(speed) : '?',
    driver: typeof toName === 'string' && toName ? toName : t('events.unknownDriver'),
    rule: typeof ruleName === 'string' ? ruleName : '',
  });
}
