import type { HistoryFormat, StopItem, SummaryReport, TripItem } from '@fleet/contracts';
import { keepPreviousData, useIsFetching, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PeriodForm, type PeriodChoice } from '../components/PeriodForm';
import { Table } from '../components/Table';
import { useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { fmt } from '../i18n';
import { useLive } from '../live/context';
import { useApi } from '../session/context';
import { toIso } from './period';
import { ReportFiles } from './ReportFiles';
import { ReportSchedules } from './ReportSchedules';

const REPORT_ENDPOINTS: readonly unknown[] = ['vehicleTrips', 'vehicleStops', 'vehicleSummary'];

/** Saves a Blob under a file name (the browser's download). */
function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export default function ReportsPage() {
  const { t } = useTranslation();
  const [choice, setChoice] = useState<PeriodChoice>();
  const busy = useIsFetching({ predicate: (q) => REPORT_ENDPOINTS.includes(q.queryKey[0]) }) > 0;
  return (
    <main id="main" className="page">
      <h1>{t('report.title')}</h1>
      <PeriodForm initial={{}} onSubmit={setChoice} submitLabel={t('report.run')} busy={busy} />
      {choice && <Report choice={choice} />}
      <ReportSchedules />
    </main>
  );
}

/** Trips, stops and the summary of one vehicle over one period, with its track to download. */
function Report({ choice }: { choice: PeriodChoice }) {
  const { t } = useTranslation();
  const api = useApi();
  const { store } = useLive();
  const input = { params: { id: choice.vehicleId }, query: { from: toIso(choice.from), to: toIso(choice.to) } };
  // The report shown stays until the next one is complete.
  const keep = { placeholderData: keepPreviousData };
  const trips = useApiQuery('vehicleTrips', input, keep);
  const stops = useApiQuery('vehicleStops', input, keep);
  const summary = useApiQuery('vehicleSummary', input, keep);
  const download = useMutation({
    mutationFn: async (format: Exclude<HistoryFormat, 'geojson'>) => {
      const blob = await api.download(api.endpoints.vehicleHistory, { ...input, query: { ...input.query, format } });
      save(blob, `${store.name(choice.vehicleId).replace(/[^\w-]+/g, '_')}_${choice.from.slice(0, 10)}.${format}`);
    },
  });

  return (
    <>
      <ErrorBanner error={trips.error ?? stops.error ?? summary.error ?? download.error} />
      {trips.data && stops.data && summary.data && (
        <>
          <div className="row">
            <button type="button" onClick={() => download.mutate('gpx')}>
              {t('report.downloadGpx')}
            </button>
            <button type="button" onClick={() => download.mutate('csv')}>
              {t('report.downloadCsv')}
            </button>
          </div>
          <ReportFiles vehicleId={choice.vehicleId} from={input.query.from} to={input.query.to} />
          <h2>{t('report.summary')}</h2>
          <Table<SummaryReport>
            testId="summary-table"
            rows={[summary.data]}
            rowKey={() => 'summary'}
            columns={[
              { header: t('report.distance'), cell: (s) => fmt.km(s.distanceM) },
              { header: t('report.driving'), cell: (s) => fmt.duration(s.drivingS) },
              { header: t('report.idle'), cell: (s) => fmt.duration(s.idleS) },
              { header: t('report.stopped'), cell: (s) => fmt.duration(s.stoppedS) },
              { header: t('report.maxSpeed'), cell: (s) => fmt.speed(s.maxSpeedKmh) },
              { header: t('report.avgSpeed'), cell: (s) => fmt.speed(s.avgSpeedKmh) },
              { header: t('history.trips'), cell: (s) => s.trips },
              { header: t('history.stops'), cell: (s) => s.stops },
            ]}
          />
          <h2>{t('history.trips')}</h2>
          <Table<TripItem>
            testId="trips-table"
            rows={trips.data.items}
            rowKey={(trip) => trip.startTime}
            columns={[
              { header: t('report.start'), cell: (trip) => fmt.dateTime(trip.startTime) },
              { header: t('report.end'), cell: (trip) => fmt.dateTime(trip.endTime) },
              { header: t('report.from'), cell: (trip) => trip.start.place ?? '' },
              { header: t('report.to'), cell: (trip) => trip.end.place ?? '' },
              { header: t('drivers.driver'), cell: (trip) => trip.driver?.name ?? '—' },
              { header: t('report.distance'), cell: (trip) => fmt.km(trip.distanceM) },
              { header: t('report.duration'), cell: (trip) => fmt.duration(trip.durationS) },
              { header: t('report.idle'), cell: (trip) => fmt.duration(trip.idleS) },
              { header: t('report.maxSpeed'), cell: (trip) => fmt.speed(trip.maxSpeedKmh) },
              { header: t('report.avgSpeed'), cell: (trip) => fmt.speed(trip.avgSpeedKmh) },
            ]}
          />
          <h2>{t('history.stops')}</h2>
          <Table<StopItem>
            testId="stops-table"
            rows={stops.data.items}
            rowKey={(stop) => stop.startTime}
            columns={[
              { header: t('report.start'), cell: (stop) => fmt.dateTime(stop.startTime) },
              { header: t('report.end'), cell: (stop) => fmt.dateTime(stop.endTime) },
              { header: t('report.duration'), cell: (stop) => fmt.duration(stop.durationS) },
              { header: t('report.place'), cell: (stop) => stop.place ?? '' },
              { header: t('drivers.driver'), cell: (stop) => stop.driver?.name ?? '—' },
              {
                header: t('vehicle.coordinates'),
                cell: (stop) => `${fmt.coord(stop.lat)}, ${fmt.coord(stop.lon)}`,
              },
            ]}
          />
        </>
      )}
    </>
  );
}
