import type { TFunction } from 'i18next';
import type { Map as LeafletMap } from 'leaflet';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { CommandsPanel } from '../commands/CommandsPanel';
import { VirtualList } from '../components/VirtualList';
import { fmt } from '../i18n';
import { useLive, useNow, useStoreVersion } from '../live/context';
import { STATUSES, type VehicleStatus } from '../live/status';
import { countByStatus, filterRows, vehicleRows, type VehicleRow } from '../live/store';
import { BaseMap } from '../map/BaseMap';
import { GroupFilter, useGroupMembers } from './GroupFilter';
import { canEdit, useMe } from '../session/context';
import { CLUSTER_MAX_ZOOM, VehicleLayer } from '../map/vehicle-layer';

/** Zoom at which a selected vehicle is shown: past clustering, so it is its own marker. */
const FOCUS_ZOOM = CLUSTER_MAX_ZOOM + 2;

export function LiveMapPage() {
  const { t } = useTranslation();
  const { store } = useLive();
  const version = useStoreVersion(store);
  const now = useNow(5000);
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<VehicleStatus | 'all'>('all');
  const [selected, setSelected] = useState<string>();
  const [follow, setFollow] = useState(false);
  const [map, setMap] = useState<LeafletMap>();
  const [listOpen, setListOpen] = useState(true);
  const [groupId, setGroupId] = useState('');
  const members = useGroupMembers(groupId);
  const layer = useRef<VehicleLayer>(undefined);
  const fitted = useRef(false);
  const ids = { search: useId(), status: useId() };

  const select = useCallback((id: string | undefined) => {
    setSelected(id);
    if (!id) setFollow(false);
  }, []);

  useEffect(() => {
    if (!map) return;
    const l = new VehicleLayer(map, store, { onSelect: (id) => select(id) });
    layer.current = l;
    // Statuses age (moving → stopped → offline) without any message: re-evaluate now and then.
    const timer = setInterval(() => l.reload(), 30_000);
    return () => {
      clearInterval(timer);
      l.remove();
      layer.current = undefined;
    };
  }, [map, store, select]);

  useEffect(() => layer.current?.setSelected(selected), [selected, map]);
  useEffect(() => layer.current?.setFilter(members), [members, map]);

  // First data: show the whole fleet.
  useEffect(() => {
    if (!map || fitted.current || store.fixes.size === 0) return;
    fitted.current = true;
    const lats = [...store.fixes.values()];
    let [s, w, n, e] = [90, 180, -90, -180];
    for (const f of lats) {
      s = Math.min(s, f.lat);
      n = Math.max(n, f.lat);
      w = Math.min(w, f.lon);
      e = Math.max(e, f.lon);
    }
    map.fitBounds(
      [
        [s, w],
        [n, e],
      ],
      { padding: [30, 30], maxZoom: 14, animate: false },
    );
  }, [map, store, version]);

  const fix = selected ? store.fixes.get(selected) : undefined;

  // Selecting a vehicle brings it into view; following keeps it there as it moves.
  useEffect(() => {
    if (!map || !selected) return;
    const f = store.fixes.get(selected);
    if (f) map.setView([f.lat, f.lon], Math.max(map.getZoom(), FOCUS_ZOOM), { animate: false });
    // Only on selection (not on every fix of the selected vehicle: following does that).
  }, [map, selected, store]);
  useEffect(() => {
    if (map && follow && fix) map.panTo([fix.lat, fix.lon], { animate: false });
  }, [map, follow, fix, fix?.lat, fix?.lon]);

  // Every vehicle classified once per store update; the filter and the counts read from that.
  // `version` is what changes when the store does (the store itself stays the same object).
  const all = useMemo(() => vehicleRows(store, now), [store, version, now]);
  const rows = useMemo(() => {
    const found = filterRows(all, { search, status }, store);
    return members ? found.filter((r) => members.has(r.id)) : found;
  }, [all, search, status, store, members]);
  const counts = useMemo(() => countByStatus(all), [all]);
  const selectedRow = selected ? all.find((r) => r.id === selected) : undefined;

  return (
    <main id="main" className={`live-page ${listOpen ? '' : 'list-closed'}`}>
      <h1 className="visually-hidden">{t('live.title')}</h1>
      <aside className="side" aria-label={t('live.vehicles')}>
        <div className="side-head">
          <button type="button" className="list-toggle" aria-expanded={listOpen} onClick={() => setListOpen((o) => !o)}>
            {listOpen ? t('live.hideList') : t('live.showList')}
          </button>
          <div className="field">
            <label htmlFor={ids.search}>{t('live.search')}</label>
            <input
              id={ids.search}
              type="search"
              value={search}
              placeholder={t('live.searchPlaceholder')}
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
          <GroupFilter value={groupId} onChange={setGroupId} />
          <div className="field">
            <label htmlFor={ids.status}>{t('live.statusFilter')}</label>
            <select id={ids.status} value={status} onChange={(e) => setStatus(e.target.value as VehicleStatus | 'all')}>
              <option value="all">
                {t('live.allStatuses')} ({counts.moving + counts.stopped + counts.offline})
              </option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}`)} ({counts[s]})
                </option>
              ))}
            </select>
          </div>
          <p className="muted" aria-live="polite">
            {t('live.shown', { count: rows.length })}
          </p>
        </div>
        <VirtualList
          items={rows}
          rowHeight={52}
          label={t('live.vehicles')}
          getKey={(r) => r.id}
          renderRow={(r) => <Row row={r} now={now} selected={r.id === selected} onSelect={select} />}
        />
      </aside>
      <section className="map-area" aria-label={t('live.map')}>
        <BaseMap onReady={setMap} label={t('live.map')} />
        <Legend />
        {selected && (
          <VehicleCard
            id={selected}
            row={selectedRow}
            now={now}
            follow={follow}
            onFollow={setFollow}
            onClose={() => select(undefined)}
          />
        )}
      </section>
    </main>
  );
}

function Row({
  row,
  now,
  selected,
  onSelect,
}: {
  row: VehicleRow;
  now: number;
  selected: boolean;
  onSelect: (id: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <button
      type="button"
      className={`vehicle-row ${selected ? 'selected' : ''}`}
      aria-pressed={selected}
      onClick={() => onSelect(row.id)}
      data-vehicle-row={row.id}
    >
      <span className={`dot dot--${row.status}`} aria-hidden="true" />
      <span className="vehicle-row-main">
        <span className="vehicle-name">{row.name}</span>
        <span className="muted small">
          {t(`status.${row.status}`)}
          {row.fix ? ` · ${fmt.speed(row.fix.speedKmh)} · ${age(t, now - row.fix.tsMs)}` : ` · ${t('live.noFix')}`}
        </span>
      </span>
    </button>
  );
}

export function age(t: TFunction, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('time.secondsAgo', { count: s });
  if (s < 3600) return t('time.minutesAgo', { count: Math.floor(s / 60) });
  if (s < 86_400) return t('time.hoursAgo', { count: Math.floor(s / 3600) });
  return t('time.daysAgo', { count: Math.floor(s / 86_400) });
}

function Legend() {
  const { t } = useTranslation();
  return (
    <ul className="legend" aria-label={t('live.legend')}>
      {STATUSES.map((s) => (
        <li key={s}>
          <span className={`dot dot--${s}`} aria-hidden="true" /> {t(`status.${s}`)}
        </li>
      ))}
    </ul>
  );
}

function VehicleCard({
  id,
  row,
  now,
  follow,
  onFollow,
  onClose,
}: {
  id: string;
  row: VehicleRow | undefined;
  now: number;
  follow: boolean;
  onFollow: (v: boolean) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const me = useMe();
  const followId = useId();
  const fix = row?.fix;
  // The age ticks every second while the card is open.
  const [tick, setTick] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setTick(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <section className="vehicle-card card" aria-labelledby={`${id}-title`} data-testid="vehicle-card">
      <div className="card-head">
        <h2 id={`${id}-title`}>{row?.name ?? id}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
          ×
        </button>
      </div>
      {row?.plate && <p className="muted">{row.plate}</p>}
      <dl className="facts">
        <dt>{t('vehicle.status')}</dt>
        <dd>
          <span className={`dot dot--${row?.status ?? 'offline'}`} aria-hidden="true" />{' '}
          {t(`status.${row?.status ?? 'offline'}`)}
        </dd>
        <dt>{t('vehicle.speed')}</dt>
        <dd>{fmt.speed(fix?.speedKmh)}</dd>
        <dt>{t('vehicle.lastFix')}</dt>
        <dd>{fix ? `${age(t, Math.max(tick, now) - fix.tsMs)} (${fmt.dateTime(fix.tsMs)})` : t('live.noFix')}</dd>
        <dt>{t('vehicle.battery')}</dt>
        <dd>{fix?.battery == null ? '—' : `${fmt.number(fix.battery)} %`}</dd>
        <dt>{t('vehicle.coordinates')}</dt>
        <dd data-testid="vehicle-coordinates">{fix ? `${fmt.coord(fix.lat)}, ${fmt.coord(fix.lon)}` : '—'}</dd>
        <dt>{t('vehicle.heading')}</dt>
        <dd>{fix?.heading == null ? '—' : `${Math.round(fix.heading)}°`}</dd>
      </dl>
      <div className="row">
        <input id={followId} type="checkbox" checked={follow} onChange={(e) => onFollow(e.target.checked)} />
        <label htmlFor={followId}>{t('vehicle.follow')}</label>
      </div>
      <p>
        <Link href={`/history?vehicle=${encodeURIComponent(id)}`}>{t('vehicle.openHistory')}</Link>
      </p>
      {canEdit(me) && <CommandsPanel key={id} vehicleId={id} />}
    </section>
  );
}
