import { useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useApiQuery } from '../data/api';
import { groupLabel } from './admin/GroupsAdmin';

/** Vehicles of one group read at most: a group filter beyond this is a list to page, not a filter. */
const MAX_MEMBERS = 500;

/**
 * A "Group" select over the groups the user may see (the group and those below it), in tree order;
 * nothing at all when there are no groups. `value` '' is every group.
 */
export function GroupFilter({
  value,
  onChange,
  label,
  emptyLabel,
}: {
  value: string;
  onChange: (groupId: string) => void;
  label?: string;
  /** The text of '' (default: every group). */
  emptyLabel?: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  const groups = useApiQuery('listGroups', undefined, { staleTime: 60_000 });
  const items = groups.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <div className="field">
      <label htmlFor={id}>{label ?? t('groups.filter')}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{emptyLabel ?? t('groups.all')}</option>
        {items.map((g) => (
          <option key={g.id} value={g.id}>
            {groupLabel(g)}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * The ids of the vehicles of a group and of the groups below it (as the server filters them), to
 * filter what is already on screen (the live map); undefined while no group is chosen or loading.
 */
export function useGroupMembers(groupId: string): ReadonlySet<string> | undefined {
  const members = useApiQuery(
    'listVehicles',
    { query: { groupId, limit: MAX_MEMBERS } },
    { enabled: groupId !== '', staleTime: 30_000, refetchInterval: 60_000 },
  );
  const items = groupId ? members.data?.items : undefined;
  return useMemo(() => (items ? new Set(items.map((v) => v.id)) : undefined), [items]);
}
