import type { FleetApi } from '@fleet/api-client';
import type { StopItem, SummaryReport, TripItem } from '@fleet/contracts';
import { keepPreviousData, skipToken, useQuery } from '@tanstack/react-query';
import L from 'leaflet';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearch } from 'wouter';
import { HistoryChart } from '../charts/HistoryChart';
import { PeriodForm, type PeriodChoice } from '../components/PeriodForm';
import { keyOf } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { errorMessage } from '../data/errors';
import { fmt } from '../i18n';
import { useLive } from '../live/context';
import { BaseMap } from '../map/BaseMap';
import { pointIcon, vehicleIcon } from '../map/icons';
import { advance, initialReplay, replayReducer } from '../replay/clock';
import { Timeline } from '../replay/Timeline';
import { latLngs, pointAt, readTrack, type Track } from '../replay/track';
import { useApi } from '../session/context';
import { toIso } from './period';

/** The server simplifies longer histories to this many points (Douglas–Peucker), whatever the period. */
export const MAX_TRACK_POINTS = 5000;

interface Loaded {
  choice: PeriodChoice;
  period: { from: string; to: string };
  track: Track;
  trips: TripItem[] | Error;
  stops: StopItem[] | Error;
  summary: SummaryReport | Error;
}

/** The track (required) with the trips, stops and totals of the period, each panel with its own failure. */
async function loadHistory(api: FleetApi, choice: PeriodChoice): Promise<Loaded> {
  const period = { from: toIso(choice.from), to: toIso(choice.to) };
  const params = { id: choice.vehicleId };
  const [history, trips, stops, summary] = await Promise.allSettled([
    api.vehicleHistory({ params, query: { ...period, format: 'geojson', maxPoints: MAX_TRACK_POINTS } }),
    api.vehicleTrips({ params, query: period }),
    api.vehicleStops({ params, query: period }),
    api.vehicleSummary({ params, query: period }),
  ]);
  if (history.status === 'rejected') throw history.reason;
  const asError = (reason: unknown) => (reason instanceof Error ? reason : new Error(errorMessage(reason)));
  return {
    choice,
    period,
    track: readTrack(history.value),
    trips: trips.status === 'fulfilled' ? trips.value.items : asError(trips.reason),
    stops: stops.status === 'fulfilled' ? stops.value.items : asError(stops.reason),
    summary: summary.status === 'fulfilled' ? summary.value : asError(summary.reason),
  };
}

export default function HistoryPage() {
  const { t } = useTranslation();
  const api = useApi();
  const { store } = useLive();
  const search = useSearch();
  const [choice, setChoice] = useState<PeriodChoice>();
  const [map, setMap] = useState<L.Map>();
  const [replay, dispatch] = useReducer(replayReducer, initialReplay);
  const [follow, setFollow] = useState(true);
  const cursorMarker = useRef<L.Marker>(undefined);

  const history = useQuery({
    queryKey: [...keyOf('vehicleHistory'), choice],
    queryFn: choice ? () => loadHistory(api, choice) : skipToken,
    // The last track stays on the map while the next one loads.
    placeholderData: keepPreviousData,
    // Typed arrays: a load is a new replay, never merged with the previous one.
    structuralSharing: false,
  });
  const loaded = history.data;
  const busy = history.isFetching;
  const { refetch: readAgain } = history;

  // A new track: the replay starts over at its first fix.
  useEffect(() => {
    if (!loaded) return;
    const { track, period } = loaded;
    dispatch({
      type: 'load',
      startMs: track.length ? track.t[0] : Date.parse(period.from),
      endMs: track.length ? track.t[track.length - 1] : Date.parse(period.to),
    });
  }, [loaded]);

  // The track, trips and stops on the map; drawn once per load.
  useEffect(() => {
    if (!map || !loaded || loaded.track.length === 0) return;
    const group = L.featureGroup().addTo(map);
    const line = L.polyline(latLngs(loaded.track), { color: '#1f6feb', weight: 4, opacity: 0.8 }).addTo(group);
    if (Array.isArray(loaded.trips))
      loaded.trips.forEach((trip, i) => {
        L.marker([trip.start.lat, trip.start.lon], {
          icon: pointIcon('trip-start', String(i + 1)),
          title: t('history.tripN', { n: i + 1 }),
          keyboard: false,
        }).addTo(group);
      });
    if (Array.isArray(loaded.stops))
      for (const stop of loaded.stops)
        L.marker([stop.lat, stop.lon], {
          icon: pointIcon('stop', 'P'),
          title: `${t('history.stop')} ${fmt.duration(stop.durationS)}`,
          keyboard: false,
        }).addTo(group);
    // No animation: a page left mid-animation would have Leaflet draw on a removed canvas.
    map.fitBounds(line.getBounds(), { padding: [30, 30], animate: false });
    const first = pointAt(loaded.track, loaded.track.t[0])!;
    cursorMarker.current = L.marker([first.lat, first.lon], {
      icon: vehicleIcon(loaded.choice.vehicleId, 'moving', first.heading, true),
      keyboard: false,
      zIndexOffset: 2000,
    }).addTo(group);
    return () => {
      group.remove();
      cursorMarker.current = undefined;
    };
  }, [map, loaded, t]);

  // The clock: one step per animation frame while playing.
  const replayRef = useRef(replay);
  replayRef.current = replay;
  useEffect(() => {
    if (!replay.playing || !loaded) return;
    let last = performance.now();
    let frame = requestAnimationFrame(function step(now) {
      const next = advance(replayRef.current, now - last, loaded.track);
      last = now;
      if (next !== replayRef.current) dispatch({ type: 'seek', ms: next.cursorMs });
      if (!next.playing) dispatch({ type: 'pause' });
      else frame = requestAnimationFrame(step);
    });
    return () => cancelAnimationFrame(frame);
  }, [replay.playing, loaded]);

  const cursor = useMemo(() => (loaded ? pointAt(loaded.track, replay.cursorMs) : null), [loaded, replay.cursorMs]);

  // The vehicle at the cursor (and the map following it).
  useEffect(() => {
    const marker = cursorMarker.current;
    if (!marker || !cursor) return;
    marker.setLatLng([cursor.lat, cursor.lon]);
    const el = marker.getElement()?.querySelector<HTMLElement>('.vm');
    if (el) el.style.setProperty('--heading', `${Math.round(cursor.heading ?? 0)}deg`);
    if (follow && map && !map.getBounds().pad(-0.2).contains([cursor.lat, cursor.lon]))
      map.panTo([cursor.lat, cursor.lon], { animate: false });
  }, [cursor, follow, map]);

  const seekTo = useCallback((iso: string) => dispatch({ type: 'seek', ms: Date.parse(iso) }), []);
  const seekMs = useCallback((ms: number) => dispatch({ type: 'seek', ms }), []);
  const initial = useMemo(() => ({ vehicleId: new URLSearchParams(search).get('vehicle') ?? undefined }), [search]);
  const submit = useCallback(
    (c: PeriodChoice) => {
      // The same choice again reads again (fixes may have arrived since).
      const same = choice?.vehicleId === c.vehicleId && choice.from === c.from && choice.to === c.to;
      if (same) void readAgain();
      else setChoice(c);
    },
    [choice, readAgain],
  );

  // The side panel does not change while the replay plays: built once per load, not 60 times a second
  // (its vehicle list can hold thousands of options).
  const sidebar = useMemo(
    () => (
      <aside className="side" aria-labelledby="history-title">
        <h1 id="history-title">{t('history.title')}</h1>
        <PeriodForm
          initial={initial}
          onSubmit={submit}
          submitLabel={busy ? t('common.loading') : t('history.show')}
          busy={busy}
        />
        <ErrorBanner error={history.error} />
        {loaded && (
          <>
            <p className="muted" data-testid="track-points">
              {t('history.points', { count: loaded.track.length, vehicle: store.name(loaded.choice.vehicleId) })}
            </p>
            <Totals summary={loaded.summary} />
            <TripList trips={loaded.trips} onSeek={seekTo} />
            <StopList stops={loaded.stops} onSeek={seekTo} />
          </>
        )}
      </aside>
    ),
    [t, initial, submit, busy, history.error, loaded, store, seekTo],
  );

  return (
    <main id="main" className="history-page">
      {sidebar}
      <section className="map-area" aria-label={t('history.map')}>
        <BaseMap onReady={setMap} label={t('history.map')} />
        {loaded && (
          <div className="replay-panel card">
            <Timeline state={replay} dispatch={dispatch} follow={follow} onFollow={setFollow} />
            <HistoryChart track={loaded.track} cursorMs={replay.cursorMs} onSeek={seekMs} />
            {cursor && <CursorFacts cursor={cursor} />}
          </div>
        )}
      </section>
    </main>
  );
}

function CursorFacts({ cursor }: { cursor: NonNullable<ReturnType<typeof pointAt>> }) {
  const { t } = useTranslation();
  return (
    <dl className="facts facts--row" aria-label={t('replay.atCursor')} data-testid="cursor-facts">
      <dt>{t('replay.time')}</dt>
      <dd>{fmt.dateTime(cursor.tMs)}</dd>
      <dt>{t('vehicle.speed')}</dt>
      <dd>{fmt.speed(cursor.speedKmh)}</dd>
      <dt>{t('vehicle.heading')}</dt>
      <dd>{cursor.heading == null ? '—' : `${Math.round(cursor.heading)}°`}</dd>
      <dt>{t('vehicle.coordinates')}</dt>
      <dd>
        {fmt.coord(cursor.lat)}, {fmt.coord(cursor.lon)}
      </dd>
      {cursor.accuracy != null && (
        <>
          <dt>{t('vehicle.accuracy')}</dt>
          <dd>{fmt.number(cursor.accuracy)} m</dd>
        </>
      )}
      {cursor.battery != null && (
        <>
          <dt>{t('vehicle.battery')}</dt>
          <dd>{fmt.number(cursor.battery)} %</dd>
        </>
      )}
      {cursor.attributes &&
        Object.entries(cursor.attributes)
          .slice(0, 8)
          .map(([k, v]) => (
            <span key={k} className="attr">
              <dt>{k}</dt>
              <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
            </span>
          ))}
    </dl>
  );
}

export function Totals({ summary }: { summary: SummaryReport | Error }) {
  const { t } = useTranslation();
  if (summary instanceof Error)
    return <p className="muted">{t('history.summaryUnavailable', { message: summary.message })}</p>;
  return (
    <section aria-labelledby="totals-title">
      <h2 id="totals-title">{t('history.totals')}</h2>
      <dl className="facts" data-testid="totals">
        <dt>{t('report.distance')}</dt>
        <dd>{fmt.km(summary.distanceM)}</dd>
        <dt>{t('report.driving')}</dt>
        <dd>{fmt.duration(summary.drivingS)}</dd>
        <dt>{t('report.idle')}</dt>
        <dd>{fmt.duration(summary.idleS)}</dd>
        <dt>{t('report.stopped')}</dt>
        <dd>{fmt.duration(summary.stoppedS)}</dd>
        <dt>{t('report.maxSpeed')}</dt>
        <dd>{fmt.speed(summary.maxSpeedKmh)}</dd>
        <dt>{t('report.avgSpeed')}</dt>
        <dd>{fmt.speed(summary.avgSpeedKmh)}</dd>
      </dl>
    </section>
  );
}

function TripList({ trips, onSeek }: { trips: TripItem[] | Error; onSeek: (iso: string) => void }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="trips-title">
      <h2 id="trips-title">{t('history.trips')}</h2>
      {trips instanceof Error ? (
        <p className="muted">{t('history.tripsUnavailable', { message: trips.message })}</p>
      ) : trips.length === 0 ? (
        <p className="muted">{t('history.noTrips')}</p>
      ) : (
        <ol className="plain-list" data-testid="trip-list">
          {trips.map((trip, i) => (
            <li key={trip.startTime}>
              <button type="button" className="link-button" onClick={() => onSeek(trip.startTime)}>
                {t('history.tripN', { n: i + 1 })}: {fmt.time(trip.startTime)}–{fmt.time(trip.endTime)} ·{' '}
                {fmt.km(trip.distanceM)} · {fmt.duration(trip.durationS)}
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function StopList({ stops, onSeek }: { stops: StopItem[] | Error; onSeek: (iso: string) => void }) {
  const { t } = useTranslation();
  if (stops instanceof Error)
    return <p className="muted">{t('history.stopsUnavailable', { message: stops.message })}</p>;
  return (
    <section aria-labelledby="stops-title">
      <h2 id="stops-title">{t('history.stops')}</h2>
      {stops.length === 0 ? (
        <p className="muted">{t('history.noStops')}</p>
      ) : (
        <ol className="plain-list" data-testid="stop-list">
          {stops.map((stop) => (
            <li key={stop.startTime}>
              <button type="button" className="link-button" onClick={() => onSeek(stop.startTime)}>
                {fmt.time(stop.startTime)}–{fmt.time(stop.endTime)} · {fmt.duration(stop.durationS)}
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
