import type { EventDetail, HistoryFeatureCollection, StopItem, TripItem } from '@fleet/contracts';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActivityIndicator, Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';
import { BaseMap } from '../map/BaseMap';
import { useMapConfig } from '../map/config';
import { trackOf, vehicleMarkers } from '../map/features';
import { TrackLayer, VehicleMarkerLayer } from '../map/layers';
import { viewOf, type MapView } from '../map/style';
import type { DispatcherSession } from '../session/dispatcher-session';
import { EventsList } from './EventsList';
import { ageOf, statusOf, todayPeriod, type FleetVehicle } from './fleet';

interface Today {
  trips: TripItem[];
  stops: StopItem[];
  events: EventDetail[];
}

/** The most fixes of today's track fetched for the phone (the most significant ones, Douglas–Peucker). */
const TRACK_MAX_POINTS = 2000;

/**
 * A vehicle's latest fix (live, from the fleet list) and today's track on a map, today's trips and
 * stops, and its events.
 */
export function VehicleDetailScreen({
  session,
  vehicle,
  nowMs,
  onBack,
}: {
  session: DispatcherSession;
  vehicle: FleetVehicle;
  nowMs: number;
  onBack: () => void;
}) {
  const { t, i18n } = useTranslation();
  const [today, setToday] = useState<Today | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Today's fixes; null while they load. The map waits for them to open around the whole track.
  const [history, setHistory] = useState<HistoryFeatureCollection | { failed: string } | null>(null);
  const mapConfig = useMapConfig(session);
  const { vehicleId } = vehicle;

  useEffect(() => {
    let live = true;
    const period = todayPeriod(new Date());
    const params = { id: vehicleId };
    Promise.all([
      session.api.vehicleTrips({ params, query: period }),
      session.api.vehicleStops({ params, query: period }),
      session.api.listEvents({ query: { vehicleId, limit: 50 } }),
    ])
      .then(
        ([trips, stops, events]) => live && setToday({ trips: trips.items, stops: stops.items, events: events.items }),
      )
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    // The map is extra: without the track, the latest position is still shown.
    session.api
      .vehicleHistory({ params, query: { ...period, maxPoints: TRACK_MAX_POINTS } })
      .then((track) => live && setHistory(track))
      .catch((err: unknown) => live && setHistory({ failed: err instanceof Error ? err.message : String(err) }));
    return () => {
      live = false;
    };
  }, [session, vehicleId]);

  const time = (iso: string) => new Date(iso).toLocaleTimeString(i18n.language, { hour: '2-digit', minute: '2-digit' });
  const status = statusOf(vehicle, nowMs);
  const age = ageOf(vehicle.tsMs, nowMs);
  const marker = useMemo(() => vehicleMarkers([vehicle], [status]), [vehicle, status]);
  const track = useMemo(
    () => (history && 'features' in history ? trackOf(history, vehicle) : null),
    [history, vehicle],
  );
  // Decided once, when the track (or its failure) is known: live moves do not pull the camera.
  const [initialView, setInitialView] = useState<MapView | null>(null);
  if (mapConfig && history && !initialView)
    setInitialView(viewOf(track ? track.geometry.coordinates : [[vehicle.lon, vehicle.lat]], mapConfig));

  return (
    <ScrollView contentContainerStyle={styles.screen}>
      <Pressable role="button" onPress={onBack} style={styles.back}>
        <Text>‹ {t('vehicle.back')}</Text>
      </Pressable>
      <Text role="heading" style={styles.title}>
        {vehicle.name}
      </Text>
      <Text style={styles.section}>{t('vehicle.latest')}</Text>
      <Text>
        {t(`fleet.status.${status}`)} · {t(`fleet.age.${age.unit}`, { value: age.value })}
      </Text>
      <Text>{t('vehicle.coordinates', { lat: vehicle.lat.toFixed(5), lon: vehicle.lon.toFixed(5) })}</Text>
      <View style={styles.map}>
        {mapConfig && initialView ? (
          <BaseMap
            config={mapConfig}
            serverUrl={session.serverUrl}
            initialView={initialView}
            label={t('map.vehicleLabel')}
          >
            {track ? <TrackLayer id="track" track={track} /> : null}
            <VehicleMarkerLayer id="vehicle" markers={marker} />
          </BaseMap>
        ) : (
          <ActivityIndicator style={styles.mapLoading} />
        )}
      </View>
      {history && 'failed' in history ? (
        <Text style={styles.note}>{t('map.trackFailed', { message: history.failed })}</Text>
      ) : null}
      {history && 'features' in history && !track ? <Text style={styles.note}>{t('map.noTrack')}</Text> : null}
      {error ? <Text role="alert">{error}</Text> : null}
      {!today && !error ? <ActivityIndicator /> : null}
      {today ? (
        <>
          <Text style={styles.section}>{t('vehicle.trips')}</Text>
          {today.trips.length === 0 ? <Text>{t('vehicle.noTrips')}</Text> : null}
          {today.trips.map((trip) => (
            <Text key={trip.startTime}>
              {t('vehicle.trip', {
                start: time(trip.startTime),
                end: time(trip.endTime),
                km: (trip.distanceM / 1000).toFixed(1),
                max: Math.round(trip.maxSpeedKmh),
              })}
            </Text>
          ))}
          <Text style={styles.section}>{t('vehicle.stops')}</Text>
          {today.stops.length === 0 ? <Text>{t('vehicle.noStops')}</Text> : null}
          {today.stops.map((stop) => (
            <Text key={stop.startTime}>
              {t('vehicle.stop', {
                start: time(stop.startTime),
                end: time(stop.endTime),
                minutes: Math.round(stop.durationS / 60),
              })}
            </Text>
          ))}
          <Text style={styles.section}>{t('vehicle.events')}</Text>
          <EventsList events={today.events} showVehicle={false} />
        </>
      ) : null}
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { padding: 16, gap: 4 },
  back: { paddingVertical: 8 },
  title: { fontSize: 22, fontWeight: '700' },
  section: { marginTop: 16, fontSize: 16, fontWeight: '600' },
  note: { color: '#555', fontStyle: 'italic' },
  map: { height: 280, marginTop: 8, borderRadius: 8, overflow: 'hidden', backgroundColor: '#eeeeea' },
  mapLoading: { flex: 1 },
});
