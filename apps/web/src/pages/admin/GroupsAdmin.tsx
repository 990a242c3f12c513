import { ApiError } from '@fleet/api-client';
import { GROUP_LIMITS, type VehicleGroup } from '@fleet/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { Field, SelectField } from '../../components/Field';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';

/** What a group write makes stale: the groups, and the vehicles (a vehicle shows its group). */
const CHANGES_GROUPS = ['listGroups', 'getGroup', 'listVehicles'] as const;
const BLOCKERS = ['subgroups', 'vehicles', 'users'] as const;

/** The label of a group in a select: indented by depth, so the tree reads in a flat list. */
export const groupLabel = (g: Pick<VehicleGroup, 'name' | 'depth'>) => `${'\u00a0\u00a0'.repeat(g.depth)}${g.name}`;

/** The groups that may become `group`'s parent: any but itself and the groups below it. */
export function possibleParents(groups: readonly VehicleGroup[], group: VehicleGroup): VehicleGroup[] {
  const below = new Set([group.id]);
  // Tree order: every descendant comes after its parent.
  for (const g of groups) if (g.parentId && below.has(g.parentId)) below.add(g.id);
  return groups.filter((g) => !below.has(g.id));
}

/** Vehicle groups (region → depot): a tree to create, rename, move and delete (admin). */
export function GroupsAdmin() {
  const { t } = useTranslation();
  const groups = useApiQuery('listGroups');
  const [editing, setEditing] = useState<VehicleGroup | 'new'>();
  const remove = useApiMutation('deleteGroup', { invalidates: CHANGES_GROUPS });
  const items = groups.data?.items ?? [];
  const blockers =
    remove.error instanceof ApiError && remove.error.status === 409
      ? BLOCKERS.filter((b) => remove.error instanceof ApiError && remove.error.details.some((d) => d.path === b))
      : [];

  return (
    <section aria-labelledby="groups-admin-title">
      <h2 id="groups-admin-title">{t('groups.title')}</h2>
      <p>{t('groups.intro')}</p>
      {editing ? (
        <GroupEditor
          group={editing === 'new' ? undefined : editing}
          groups={items}
          onDone={() => setEditing(undefined)}
        />
      ) : (
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          {t('groups.new')}
        </button>
      )}
      <ErrorBanner error={groups.error} />
      {blockers.length > 0 ? (
        <div className="form-error" role="alert">
          <p>{t('groups.inUse')}</p>
          <ul>
            {blockers.map((b) => (
              <li key={b}>{t(`groups.blockedBy.${b}`)}</li>
            ))}
          </ul>
        </div>
      ) : (
        <ErrorBanner error={remove.error} />
      )}
      {groups.isSuccess && items.length === 0 && <p>{t('groups.none')}</p>}
      <ul className="group-tree" aria-label={t('groups.title')}>
        {items.map((g) => (
          <li key={g.id} style={{ paddingInlineStart: `${g.depth * 1.5}rem` }}>
            <span>{g.name}</span> <small>{t('groups.vehicles', { count: g.vehicleCount })}</small>{' '}
            <button type="button" onClick={() => setEditing(g)} aria-label={t('admin.editX', { name: g.name })}>
              {t('common.edit')}
            </button>{' '}
            <ActionButton
              className="danger"
              confirm={t('groups.confirmDelete', { name: g.name })}
              onAct={() => remove.mutate({ params: { id: g.id } })}
              aria-label={t('admin.deleteX', { name: g.name })}
            >
              {t('common.delete')}
            </ActionButton>
          </li>
        ))}
      </ul>
    </section>
  );
}

function GroupEditor({
  group,
  groups,
  onDone,
}: {
  group?: VehicleGroup;
  groups: readonly VehicleGroup[];
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(group?.name ?? '');
  const [parentId, setParentId] = useState(group?.parentId ?? '');
  const [error, setError] = useState<string>();
  const create = useApiMutation('createGroup', { invalidates: CHANGES_GROUPS, onSuccess: onDone });
  const update = useApiMutation('updateGroup', { invalidates: CHANGES_GROUPS, onSuccess: onDone });
  const saving = group ? update : create;
  const parents = group ? possibleParents(groups, group) : groups;

  function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    setError(trimmed ? undefined : 'validation.required');
    if (!trimmed) return;
    const body = { name: trimmed, parentId: parentId || null };
    if (group) update.mutate({ params: { id: group.id }, body });
    else create.mutate({ body });
  }

  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby="group-editor-title">
      <h3 id="group-editor-title">{group ? t('admin.editX', { name: group.name }) : t('groups.new')}</h3>
      <Field
        label={t('admin.name')}
        value={name}
        error={error}
        required
        maxLength={GROUP_LIMITS.nameMax}
        onChange={(e) => setName(e.target.value)}
      />
      <SelectField label={t('groups.parent')} value={parentId} onChange={(e) => setParentId(e.target.value)}>
        <option value="">{t('groups.topLevel')}</option>
        {parents.map((g) => (
          <option key={g.id} value={g.id}>
            {groupLabel(g)}
          </option>
        ))}
      </SelectField>
      <SubmitRow error={saving.error} busy={saving.isPending} label={t('common.save')}>
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </SubmitRow>
    </form>
  );
}
