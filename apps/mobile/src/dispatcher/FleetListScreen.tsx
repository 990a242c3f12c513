import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActivityIndicator, FlatList, Pressable, StyleSheet, Text, TextInput, View } from 'react-native';
import { ageOf, searchFleet, statusOf, type FleetVehicle } from './fleet';
import type { LiveFleet } from './useLiveFleet';

const STATUS_COLOUR = { moving: '#1b5e20', stopped: '#e65100', offline: '#757575' } as const;

export function FleetListScreen({ live, onOpen }: { live: LiveFleet; onOpen: (vehicle: FleetVehicle) => void }) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const rows = useMemo(() => (live.fleet ? searchFleet(live.fleet, search) : []), [live.fleet, search]);

  if (!live.fleet && live.error)
    return (
      <View style={styles.centre}>
        <Text role="alert">
          {t('fleet.loadFailed', { message: live.error instanceof Error ? live.error.message : String(live.error) })}
        </Text>
        <Pressable role="button" onPress={() => void live.reload()} style={styles.retry}>
          <Text>{t('fleet.retry')}</Text>
        </Pressable>
      </View>
    );
  if (!live.fleet) return <ActivityIndicator style={styles.centre} />;

  return (
    <View style={styles.screen}>
      <TextInput
        style={styles.search}
        accessibilityLabel={t('fleet.search')}
        placeholder={t('fleet.search')}
        value={search}
        onChangeText={setSearch}
        autoCorrect={false}
        clearButtonMode="while-editing"
      />
      {live.stream === 'reconnecting' ? <Text style={styles.notLive}>{t('fleet.offlineStream')}</Text> : null}
      <FlatList
        data={rows}
        keyExtractor={(v) => v.vehicleId}
        ListEmptyComponent={<Text style={styles.empty}>{live.fleet.size ? t('fleet.empty') : t('fleet.none')}</Text>}
        renderItem={({ item }) => {
          const status = statusOf(item, live.nowMs);
          const age = ageOf(item.tsMs, live.nowMs);
          return (
            <Pressable
              role="button"
              accessibilityLabel={item.name}
              style={styles.row}
              onPress={() => onOpen(item)}
              testID={`vehicle-${item.vehicleId}`}
            >
              <View style={[styles.dot, { backgroundColor: STATUS_COLOUR[status] }]} />
              <View style={styles.rowText}>
                <Text style={styles.name}>{item.name}</Text>
                <Text testID={`status-${item.vehicleId}`}>
                  {t(`fleet.status.${status}`)} · {t(`fleet.age.${age.unit}`, { value: age.value })}
                  {status === 'moving' && item.speedKmh !== null
                    ? ` · ${t('fleet.speed', { speed: Math.round(item.speedKmh) })}`
                    : ''}
                </Text>
              </View>
            </Pressable>
          );
        }}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1 },
  centre: { flex: 1, justifyContent: 'center', alignItems: 'center', padding: 24, gap: 12 },
  retry: { padding: 12, borderWidth: 1, borderRadius: 6 },
  search: { margin: 12, borderWidth: 1, borderColor: '#999', borderRadius: 6, padding: 10, fontSize: 16 },
  notLive: { marginHorizontal: 12, color: '#b00020' },
  empty: { padding: 24, textAlign: 'center', color: '#555' },
  row: { flexDirection: 'row', alignItems: 'center', padding: 12, borderBottomWidth: 1, borderColor: '#eee', gap: 12 },
  dot: { width: 12, height: 12, borderRadius: 6 },
  rowText: { flex: 1 },
  name: { fontSize: 16, fontWeight: '600' },
});
