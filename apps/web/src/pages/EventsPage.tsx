import { EventType, type EventDetail, type TrackingEvent } from '@fleet/contracts';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { fmt } from '../i18n';
import { useLive, useVehicleOrder } from '../live/context';
import { useApi } from '../session/context';
import { describeEvent } from './event-text';
import { toIso } from './period';

interface Filter {
  type: string;
  vehicleId: string;
  from: string;
  to: string;
}

/** Does a live event belong in the list the filter shows? */
export function matchesFilter(e: Pick<TrackingEvent, 'type' | 'vehicleId' | 'ts'>, f: Filter): boolean {
  if (f.type && e.type !== f.type) return false;
  if (f.vehicleId && e.vehicleId !== f.vehicleId) return false;
  const ts = Date.parse(e.ts);
  if (f.from && ts < Date.parse(f.from)) return false;
  if (f.to && ts >= Date.parse(f.to)) return false;
  return true;
}

export default function EventsPage() {
  const { t } = useTranslation();
  const api = useApi();
  const { feed, store, geofenceNames } = useLive();
  const vehicleIds = useVehicleOrder(store);
  const [draft, setDraft] = useState<Filter>({ type: '', vehicleId: '', from: '', to: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const [items, setItems] = useState<EventDetail[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ids = { type: useId(), vehicle: useId(), from: useId(), to: useId() };

  const fetchPage = useCallback(
    async (f: Filter, after?: string) => {
      setBusy(true);
      setError(undefined);
      try {
        const page = await api.events({
          type: (f.type || undefined) as EventType | undefined,
          vehicleId: f.vehicleId || undefined,
          from: f.from ? toIso(f.from) : undefined,
          to: f.to ? toIso(f.to) : undefined,
          cursor: after,
          limit: 100,
        });
        setItems((old) => (after ? [...old, ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        setBusy(false);
      }
    },
    [api],
  );

  useEffect(() => void fetchPage(filter), [fetchPage, filter]);

  // New events arrive on top while the list is open.
  useEffect(
    () =>
      feed.subscribe((e) => {
        if (!matchesFilter(e, filter)) return;
        const detail: EventDetail = {
          ...e,
          vehicleName: store.vehicles.get(e.vehicleId)?.name ?? null,
          geofenceName: e.geofenceId ? (geofenceNames.get(e.geofenceId) ?? null) : null,
        };
        setItems((old) => (old.some((x) => x.id === e.id) ? old : [detail, ...old]));
      }),
    [feed, filter, store, geofenceNames],
  );
  // An event a late fix no longer implies is retracted by the server: it leaves the list.
  useEffect(() => feed.onRetract((id) => setItems((old) => old.filter((x) => x.id !== id))), [feed]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setFilter(draft);
  }

  return (
    <main id="main" className="page">
      <h1>{t('events.title')}</h1>
      <form className="filters" onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.type}>{t('events.type.label')}</label>
          <select id={ids.type} value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })}>
            <option value="">{t('common.all')}</option>
            {EventType.options.map((type) => (
              <option key={type} value={type}>
                {t(`events.type.${type}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.vehicle}>{t('period.vehicle')}</label>
          <select
            id={ids.vehicle}
            value={draft.vehicleId}
            onChange={(e) => setDraft({ ...draft, vehicleId: e.target.value })}
          >
            <option value="">{t('common.all')}</option>
            {vehicleIds.map((id) => (
              <option key={id} value={id}>
                {store.name(id)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.from}>{t('period.from')}</label>
          <input
            id={ids.from}
            type="datetime-local"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.to}>{t('period.to')}</label>
          <input
            id={ids.to}
            type="datetime-local"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </div>
        <button type="submit" className="primary">
          {t('common.apply')}
        </button>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: error })}
        </p>
      )}
      <div className="table-wrap">
        <table data-testid="events-table">
          <caption className="visually-hidden">{t('events.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('events.when')}</th>
              <th scope="col">{t('events.type.label')}</th>
              <th scope="col">{t('period.vehicle')}</th>
              <th scope="col">{t('events.what')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id}>
                <td>{fmt.dateTime(e.ts)}</td>
                <td>
                  <span className={`badge badge--${e.type}`}>{t(`events.type.${e.type}`)}</span>
                </td>
                <td>{e.vehicleName ?? store.name(e.vehicleId)}</td>
                <td>{describeEvent(t, e, e.vehicleName ?? store.name(e.vehicleId))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items.length === 0 && !busy && <p className="muted">{t('events.none')}</p>}
      {cursor && (
        <button type="button" onClick={() => void fetchPage(filter, cursor)} disabled={busy}>
          {t('common.loadMore')}
        </button>
      )}
    </main>
  );
}
