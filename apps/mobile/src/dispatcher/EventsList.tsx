import type { EventDetail } from '@fleet/contracts';
import { useTranslation } from 'react-i18next';
import { StyleSheet, Text, View } from 'react-native';

/** Events, newest first, as the server lists them. */
export function EventsList({ events, showVehicle }: { events: EventDetail[]; showVehicle: boolean }) {
  const { t, i18n } = useTranslation();
  if (!events.length) return <Text style={styles.none}>{t('events.none')}</Text>;
  return (
    <View>
      {events.map((e) => (
        <View key={e.id} testID={`event-${e.id}`} style={styles.row}>
          <Text style={styles.what}>
            {t(`events.type.${e.type}`, { geofence: e.geofenceName ?? '—' })}
            {showVehicle && e.vehicleName ? ` · ${e.vehicleName}` : ''}
          </Text>
          <Text style={styles.when}>{new Date(e.ts).toLocaleString(i18n.language)}</Text>
        </View>
      ))}
    </View>
  );
}

const styles = StyleSheet.create({
  none: { padding: 12, color: '#555' },
  row: { paddingVertical: 8, paddingHorizontal: 12, borderBottomWidth: 1, borderColor: '#eee' },
  what: { fontSize: 15 },
  when: { color: '#555' },
});
