import type { StopItem, SummaryReport, TripItem } from '@fleet/contracts';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PeriodForm, type PeriodChoice } from '../components/PeriodForm';
import { fmt } from '../i18n';
import { useLive } from '../live/context';
import { useApi } from '../session/context';
import { toIso } from './period';

interface Report {
  choice: PeriodChoice;
  trips: TripItem[];
  stops: StopItem[];
  summary: SummaryReport;
}

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
  const api = useApi();
  const { store } = useLive();
  const [report, setReport] = useState<Report>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function load(choice: PeriodChoice) {
    setBusy(true);
    setError(undefined);
    const period = { from: toIso(choice.from), to: toIso(choice.to) };
    try {
      const [trips, stops, summary] = await Promise.all([
        api.trips(choice.vehicleId, period),
        api.stops(choice.vehicleId, period),
        api.summary(choice.vehicleId, period),
      ]);
      setReport({ choice, trips: trips.items, stops: stops.items, summary });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function download(format: 'gpx' | 'csv') {
    if (!report) return;
    const { choice } = report;
    try {
      const blob = await api.exportHistory(
        choice.vehicleId,
        { from: toIso(choice.from), to: toIso(choice.to) },
        format,
      );
      const name = `${store.name(choice.vehicleId).replace(/[^\w-]+/g, '_')}_${choice.from.slice(0, 10)}.${format}`;
      save(blob, name);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <main id="main" className="page">
      <h1>{t('report.title')}</h1>
      <PeriodForm initial={{}} onSubmit={(c) => void load(c)} submitLabel={t('report.run')} busy={busy} />
      {error && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: error })}
        </p>
      )}
      {report && (
        <>
          <div className="row">
            <button type="button" onClick={() => void download('gpx')}>
              {t('report.downloadGpx')}
            </button>
            <button type="button" onClick={() => void download('csv')}>
              {t('report.downloadCsv')}
            </button>
          </div>
          <h2>{t('report.summary')}</h2>
          <div className="table-wrap">
            <table data-testid="summary-table">
              <thead>
                <tr>
                  <th scope="col">{t('report.distance')}</th>
                  <th scope="col">{t('report.driving')}</th>
                  <th scope="col">{t('report.idle')}</th>
                  <th scope="col">{t('report.stopped')}</th>
                  <th scope="col">{t('report.maxSpeed')}</th>
                  <th scope="col">{t('report.avgSpeed')}</th>
                  <th scope="col">{t('history.trips')}</th>
                  <th scope="col">{t('history.stops')}</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>{fmt.km(report.summary.distanceM)}</td>
                  <td>{fmt.duration(report.summary.drivingS)}</td>
                  <td>{fmt.duration(report.summary.idleS)}</td>
                  <td>{fmt.duration(report.summary.stoppedS)}</td>
                  <td>{fmt.speed(report.summary.maxSpeedKmh)}</td>
                  <td>{fmt.speed(report.summary.avgSpeedKmh)}</td>
                  <td>{report.summary.trips}</td>
                  <td>{report.summary.stops}</td>
                </tr>
              </tbody>
            </table>
          </div>
          <h2>{t('history.trips')}</h2>
          <div className="table-wrap">
            <table data-testid="trips-table">
              <thead>
                <tr>
                  <th scope="col">{t('report.start')}</th>
                  <th scope="col">{t('report.end')}</th>
                  <th scope="col">{t('report.distance')}</th>
                  <th scope="col">{t('report.duration')}</th>
                  <th scope="col">{t('report.idle')}</th>
                  <th scope="col">{t('report.maxSpeed')}</th>
                  <th scope="col">{t('report.avgSpeed')}</th>
                </tr>
              </thead>
              <tbody>
                {report.trips.map((trip) => (
                  <tr key={trip.startTime}>
                    <td>{fmt.dateTime(trip.startTime)}</td>
                    <td>{fmt.dateTime(trip.endTime)}</td>
                    <td>{fmt.km(trip.distanceM)}</td>
                    <td>{fmt.duration(trip.durationS)}</td>
                    <td>{fmt.duration(trip.idleS)}</td>
                    <td>{fmt.speed(trip.maxSpeedKmh)}</td>
                    <td>{fmt.speed(trip.avgSpeedKmh)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>{t('history.stops')}</h2>
          <div className="table-wrap">
            <table data-testid="stops-table">
              <thead>
                <tr>
                  <th scope="col">{t('report.start')}</th>
                  <th scope="col">{t('report.end')}</th>
                  <th scope="col">{t('report.duration')}</th>
                  <th scope="col">{t('vehicle.coordinates')}</th>
                </tr>
              </thead>
              <tbody>
                {report.stops.map((stop) => (
                  <tr key={stop.startTime}>
                    <td>{fmt.dateTime(stop.startTime)}</td>
                    <td>{fmt.dateTime(stop.endTime)}</td>
                    <td>{fmt.duration(stop.durationS)}</td>
                    <td>
                      {fmt.coord(stop.lat)}, {fmt.coord(stop.lon)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </main>
  );
}
