import { ApiError } from '@fleet/api-client';
import { EventType, type EventDetail, type EventList, type TrackingEvent } from '@fleet/contracts';
import { keepPreviousData, useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearch } from 'wouter';
import { Field, SelectField } from '../components/Field';
import { Table } from '../components/Table';
import { keyOf, useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { fmt } from '../i18n';
import { useLive, useVehicleOrder } from '../live/context';
import { useApi } from '../session/context';
import { describeEvent } from './event-text';
import { toIso } from './period';
import { GroupFilter, useGroupMembers } from './GroupFilter';

/** Events a page. */
const EVENTS_PAGE = 100;

interface Filter {
  type: string;
  vehicleId: string;
  from: string;
  to: string;
  /** A vehicle group (with the groups below it); '' or absent: any. */
  groupId?: string;
}

/**
 * Does a live event belong in the list the filter shows? `members`: the vehicles of the filter's
 * group (undefined while no group is chosen or they are loading).
 */
export function matchesFilter(
  e: Pick<TrackingEvent, 'type' | 'vehicleId' | 'ts'>,
  f: Filter,
  members?: ReadonlySet<string>,
): boolean {
  if (f.type && e.type !== f.type) return false;
  if (f.vehicleId && e.vehicleId !== f.vehicleId) return false;
  if (f.groupId && (!members || !members.has(e.vehicleId))) return false;
  const ts = Date.parse(e.ts);
  if (f.from && ts < Date.parse(f.from)) return false;
  if (f.to && ts >= Date.parse(f.to)) return false;
  return true;
}

const NO_FILTER: Filter = { type: '', vehicleId: '', from: '', to: '' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a notification's link asks for: `/events?vehicleId=<id>&event=<eventId>` (libs/notify
 * templates). A value that is not an id is ignored rather than sent to the API to be refused.
 */
export function linkOf(search: string): { vehicleId?: string; eventId?: string } {
  const q = new URLSearchParams(search);
  const id = (value: string | null) => (value && UUID.test(value) ? value.toLowerCase() : undefined);
  return { vehicleId: id(q.get('vehicleId')), eventId: id(q.get('event')) };
}

/** The list query of a filter (`datetime-local` values become ISO instants). */
function queryOf(f: Filter) {
  return {
    type: (f.type || undefined) as EventType | undefined,
    vehicleId: f.vehicleId || undefined,
    groupId: f.groupId || undefined,
    from: f.from ? toIso(f.from) : undefined,
    to: f.to ? toIso(f.to) : undefined,
    limit: EVENTS_PAGE,
  };
}

type Pages = InfiniteData<EventList, string | undefined>;

export default function EventsPage() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { feed, store, geofenceNames } = useLive();
  const vehicleIds = useVehicleOrder(store);
  const search = useSearch();
  const link = useMemo(() => linkOf(search), [search]);
  const [draft, setDraft] = useState<Filter>(() => ({ ...NO_FILTER, vehicleId: link.vehicleId ?? '' }));
  const [filter, setFilter] = useState<Filter>(draft);
  const members = useGroupMembers(filter.groupId ?? '');
  // Another link followed while the page is open (a second notification) filters to its vehicle.
  const [searchSeen, setSearchSeen] = useState(search);
  if (search !== searchSeen) {
    const linked = { ...NO_FILTER, vehicleId: link.vehicleId ?? '' };
    setSearchSeen(search);
    setDraft(linked);
    setFilter(linked);
  }
  const query = useMemo(() => queryOf(filter), [filter]);
  const queryKey = useMemo(() => keyOf('listEvents', { query }), [query]);
  const events = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => api.listEvents({ query: { ...query, cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];

  // The event a link opens: from the list when it is there, else read by id (older than the first
  // page, or retracted since, which the list leaves out).
  const openId = link.eventId;
  const listed = openId ? items.find((e) => e.id === openId) : undefined;
  const single = useApiQuery(
    'getEvent',
    { params: { id: openId ?? '' } },
    // Once the list of the link's filter is in (not the previous filter's, shown meanwhile).
    { enabled: openId !== undefined && events.isFetched && !events.isPlaceholderData && !listed },
  );
  const opened = listed ?? (openId !== undefined && single.data?.id === openId ? single.data : undefined);
  const [dismissed, setDismissed] = useState<string>();
  const cardId = useId();
  const pageRef = useRef<HTMLElement>(null);
  const scrolledTo = useRef<string>(undefined);
  useEffect(() => {
    if (!openId || !opened || scrolledTo.current === openId) return;
    const target = listed ? pageRef.current?.querySelector('tr[aria-current="true"]') : document.getElementById(cardId);
    if (!target) return;
    scrolledTo.current = openId;
    // jsdom has no scrollIntoView.
    target.scrollIntoView?.({ block: 'center' });
  }, [openId, opened, listed, cardId]);
  const vehicleName = (e: EventDetail) => e.vehicleName ?? store.name(e.vehicleId);

  // New events arrive on top while the list is open; an event a late fix no longer implies is
  // retracted by the server and leaves the list. Both edit the cached pages in place.
  useEffect(() => {
    const edit = (change: (items: EventDetail[], first: boolean) => EventDetail[]) =>
      queryClient.setQueryData<Pages>(
        queryKey,
        (old) =>
          old && { ...old, pages: old.pages.map((page, i) => ({ ...page, items: change(page.items, i === 0) })) },
      );
    const arrived = feed.subscribe((e) => {
      if (!matchesFilter(e, filter, members)) return;
      const detail: EventDetail = {
        ...e,
        vehicleName: store.vehicles.get(e.vehicleId)?.name ?? null,
        geofenceName: e.geofenceId ? (geofenceNames.get(e.geofenceId) ?? null) : null,
      };
      const known = queryClient.getQueryData<Pages>(queryKey)?.pages.some((p) => p.items.some((x) => x.id === e.id));
      if (!known) edit((list, first) => (first ? [detail, ...list] : list));
    });
    const retracted = feed.onRetract((id) => edit((list) => list.filter((x) => x.id !== id)));
    return () => {
      arrived();
      retracted();
    };
  }, [feed, filter, members, store, geofenceNames, queryClient, queryKey]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setFilter(draft);
  }

  return (
    <main id="main" className="page" ref={pageRef}>
      <h1>{t('events.title')}</h1>
      {opened && openId !== dismissed && (
        <section className="card" id={cardId} aria-labelledby={`${cardId}-title`}>
          <h2 id={`${cardId}-title`}>{t('events.linked')}</h2>
          <p>
            <span className={`badge badge--${opened.type}`}>{t(`events.type.${opened.type}`)}</span>{' '}
            {describeEvent(t, opened, vehicleName(opened))}
          </p>
          <p className="muted">
            {fmt.dateTime(opened.ts)}
            {opened.place ? ` · ${opened.place}` : ''}
          </p>
          {opened.retractedAt && (
            <p className="notice">{t('events.retracted', { when: fmt.dateTime(opened.retractedAt) })}</p>
          )}
          <button type="button" onClick={() => setDismissed(openId)}>
            {t('common.close')}
          </button>
        </section>
      )}
      {single.error &&
        !opened &&
        (single.error instanceof ApiError && single.error.status === 404 ? (
          <p className="notice" role="status">
            {t('events.linkedMissing')}
          </p>
        ) : (
          <ErrorBanner error={single.error} />
        ))}
      <form className="filters" onSubmit={submit}>
        <SelectField
          label={t('events.type.label')}
          value={draft.type}
          onChange={(e) => setDraft({ ...draft, type: e.target.value })}
        >
          <option value="">{t('common.all')}</option>
          {EventType.options.map((type) => (
            <option key={type} value={type}>
              {t(`events.type.${type}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('period.vehicle')}
          value={draft.vehicleId}
          onChange={(e) => setDraft({ ...draft, vehicleId: e.target.value })}
        >
          <option value="">{t('common.all')}</option>
          {vehicleIds.map((id) => (
            <option key={id} value={id}>
              {store.name(id)}
            </option>
          ))}
        </SelectField>
        <GroupFilter value={draft.groupId ?? ''} onChange={(groupId) => setDraft({ ...draft, groupId })} />
        {(['from', 'to'] as const).map((end) => (
          <Field
            key={end}
            label={t(`period.${end}`)}
            type="datetime-local"
            value={draft[end]}
            onChange={(e) => setDraft({ ...draft, [end]: e.target.value })}
          />
        ))}
        <button type="submit" className="primary">
          {t('common.apply')}
        </button>
      </form>
      <ErrorBanner error={events.error} />
      <Table
        testId="events-table"
        caption={t('events.title')}
        rows={items}
        rowKey={(e) => e.id}
        isCurrent={(e) => e.id === openId}
        columns={[
          { header: t('events.when'), cell: (e) => fmt.dateTime(e.ts) },
          {
            header: t('events.type.label'),
            cell: (e) => <span className={`badge badge--${e.type}`}>{t(`events.type.${e.type}`)}</span>,
          },
          { header: t('period.vehicle'), cell: vehicleName },
          { header: t('events.what'), cell: (e) => describeEvent(t, e, vehicleName(e)) },
          // Live events arrive without a place; the next fetch of the list brings it.
          { header: t('events.place'), cell: (e) => e.place ?? '' },
        ]}
      />
      {items.length === 0 && !events.isFetching && <p className="muted">{t('events.none')}</p>}
      {events.hasNextPage && (
        <button type="button" onClick={() => void events.fetchNextPage()} disabled={events.isFetching}>
          {t('common.loadMore')}
        </button>
      )}
    </main>
  );
}
