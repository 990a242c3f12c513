import { VEHICLE_LIMITS, VehicleInput, type Vehicle, type VehicleGroup } from '@fleet/contracts';
import { keepPreviousData } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { Field, SelectField } from '../../components/Field';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { Pager } from '../../components/Pager';
import { SecretCard } from '../../components/SecretCard';
import { Table } from '../../components/Table';
import { useToast } from '../../components/toasts';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';
import { useMe } from '../../session/context';
import { GroupFilter } from '../GroupFilter';
import { groupLabel } from './GroupsAdmin';
import { validateVehicle, vehicleInput, type FieldErrors, type VehicleForm } from '../forms';
import { freshDeviceTokens } from './one-time';
import { VehicleDriverPanel } from './VehicleDriverPanel';

/** Vehicles a page: a fleet may have thousands. */
export const VEHICLES_PAGE = 50;
const TYPES = VehicleInput.shape.type.unwrap().options;
const empty: VehicleForm = { name: '', plate: '', type: 'car', speedLimitKmh: '', deviceIdentifier: '' };
const formOf = (v: Vehicle): VehicleForm => ({
  name: v.name,
  plate: v.plate ?? '',
  type: v.type,
  speedLimitKmh: v.speedLimitKmh == null ? '' : String(v.speedLimitKmh),
  deviceIdentifier: v.deviceIdentifier,
  groupId: v.groupId ?? '',
});
/** What a vehicle write makes stale. */
const CHANGES_VEHICLES = ['listVehicles', 'getVehicle', 'listGroups'] as const;
type Fresh = { vehicle: Vehicle; deviceToken: string };

export function VehiclesAdmin() {
  const { t } = useTranslation();
  const notify = useToast();
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [groupId, setGroupId] = useState('');
  const groups = useApiQuery('listGroups');
  const groupItems = groups.data?.items ?? [];
  const groupName = (id: string | null | undefined) => (id && groupItems.find((g) => g.id === id)?.name) || '—';
  const [editing, setEditing] = useState<Vehicle | 'new'>();
  const [driverOf, setDriverOf] = useState<Vehicle>();
  const [secret, setSecret] = useState<Fresh>();
  const searchId = useId();
  const vehicles = useApiQuery(
    'listVehicles',
    { query: { q: q || undefined, groupId: groupId || undefined, limit: VEHICLES_PAGE, offset } },
    { placeholderData: keepPreviousData },
  );
  // The one-time token goes to the setup page opened right after (and to the card shown now).
  const showToken = (fresh: Fresh) => {
    freshDeviceTokens.set(fresh.vehicle.id, fresh.deviceToken);
    setSecret(fresh);
  };
  const regenerate = useApiMutation('regenerateDeviceToken', { invalidates: CHANGES_VEHICLES, onSuccess: showToken });
  const update = useApiMutation('updateVehicle', { invalidates: CHANGES_VEHICLES });
  const remove = useApiMutation('deleteVehicle', { invalidates: CHANGES_VEHICLES });

  return (
    <section aria-labelledby="vehicles-admin-title">
      <h2 id="vehicles-admin-title">{t('admin.vehicles')}</h2>
      {secret && (
        <SecretCard
          title={t('admin.deviceCredentials', { name: secret.vehicle.name })}
          onDone={() => setSecret(undefined)}
          testId="device-secret"
        >
          <OneTimeSecret label={t('admin.deviceIdentifier')} value={secret.vehicle.deviceIdentifier} />
          <OneTimeSecret label={t('admin.deviceToken')} value={secret.deviceToken} testId="device-token" />
          <p>
            <Link href={`/vehicles/${secret.vehicle.id}/setup`}>{t('admin.setupPhone')}</Link>
          </p>
        </SecretCard>
      )}
      {editing ? (
        <VehicleEditor
          vehicle={editing === 'new' ? undefined : editing}
          groups={groupItems}
          onCreated={showToken}
          onDone={() => setEditing(undefined)}
        />
      ) : (
        <div className="row">
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            {t('admin.newVehicle')}
          </button>
          <label htmlFor={searchId} className="visually-hidden">
            {t('live.search')}
          </label>
          <input
            id={searchId}
            type="search"
            placeholder={t('live.searchPlaceholder')}
            value={q}
            onChange={(e) => (setQ(e.target.value), setOffset(0))}
          />
          <GroupFilter value={groupId} onChange={(g) => (setGroupId(g), setOffset(0))} />
        </div>
      )}
      <ErrorBanner error={vehicles.error ?? regenerate.error ?? update.error ?? remove.error} />
      <Table
        rows={vehicles.data?.items ?? []}
        rowKey={(v) => v.id}
        columns={[
          { header: t('admin.name'), cell: (v) => v.name },
          { header: t('admin.plate'), cell: (v) => v.plate ?? '—' },
          { header: t('admin.type'), cell: (v) => t(`vehicleType.${v.type}`, { defaultValue: v.type }) },
          ...(groupItems.length ? [{ header: t('groups.group'), cell: (v: Vehicle) => groupName(v.groupId) }] : []),
          { header: t('admin.deviceIdentifier'), cell: (v) => <code>{v.deviceIdentifier}</code> },
          { header: t('admin.device'), cell: (v) => (v.deviceDisabled ? t('admin.disabled') : t('admin.enabled')) },
          {
            header: null,
            className: 'actions',
            cell: (v) => (
              <>
                <button type="button" onClick={() => setEditing(v)} aria-label={t('admin.editX', { name: v.name })}>
                  {t('common.edit')}
                </button>
                <button
                  type="button"
                  onClick={() => setDriverOf(v)}
                  aria-label={t('drivers.ofVehicle', { name: v.name })}
                >
                  {t('drivers.driver')}
                </button>
                <Link href={`/vehicles/${v.id}/setup`} aria-label={t('admin.setupX', { name: v.name })}>
                  {t('admin.setup')}
                </Link>
                <ActionButton
                  confirm={t('admin.confirmRegenerate', { name: v.name })}
                  onAct={() => regenerate.mutate({ params: { id: v.id } })}
                  aria-label={t('admin.regenerateX', { name: v.name })}
                >
                  {t('admin.regenerate')}
                </ActionButton>
                <ActionButton
                  onAct={() => update.mutate({ params: { id: v.id }, body: { deviceDisabled: !v.deviceDisabled } })}
                >
                  {v.deviceDisabled ? t('admin.enable') : t('admin.disable')}
                </ActionButton>
                <ActionButton
                  className="danger"
                  confirm={t('admin.confirmDeleteVehicle', { name: v.name })}
                  onAct={() =>
                    remove.mutate(
                      { params: { id: v.id } },
                      { onSuccess: () => notify({ title: t('admin.deleted', { name: v.name }) }) },
                    )
                  }
                  aria-label={t('admin.deleteX', { name: v.name })}
                >
                  {t('common.delete')}
                </ActionButton>
              </>
            ),
          },
        ]}
      />
      <Pager page={vehicles.data} onOffset={setOffset} />
      {driverOf && <VehicleDriverPanel vehicle={driverOf} onClose={() => setDriverOf(undefined)} />}
    </section>
  );
}

function VehicleEditor({
  vehicle,
  groups,
  onCreated,
  onDone,
}: {
  vehicle?: Vehicle;
  groups: readonly VehicleGroup[];
  onCreated: (fresh: Fresh) => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const me = useMe();
  // A user limited to groups must put a new vehicle in one of theirs: the first is proposed.
  const firstGroup = me.role !== 'admin' && me.groupIds?.length ? me.groupIds[0] : undefined;
  const [form, setForm] = useState<VehicleForm>(
    vehicle ? formOf(vehicle) : firstGroup ? { ...empty, groupId: firstGroup } : empty,
  );
  const [errors, setErrors] = useState<FieldErrors<keyof VehicleForm>>({});
  const create = useApiMutation('createVehicle', {
    invalidates: CHANGES_VEHICLES,
    onSuccess: (fresh) => (onDone(), onCreated(fresh)),
  });
  const update = useApiMutation('updateVehicle', { invalidates: CHANGES_VEHICLES, onSuccess: onDone });
  const saving = vehicle ? update : create;
  const base = useId();

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateVehicle(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    if (vehicle) update.mutate({ params: { id: vehicle.id }, body: vehicleInput(form) });
    else create.mutate({ body: vehicleInput(form) });
  }

  const field = (name: keyof VehicleForm, label: string, props: Record<string, unknown> = {}) => (
    <Field
      label={label}
      value={form[name]}
      error={errors[name]}
      onChange={(e) => setForm({ ...form, [name]: e.target.value })}
      {...props}
    />
  );

  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{vehicle ? t('admin.editX', { name: vehicle.name }) : t('admin.newVehicle')}</h3>
      {field('name', t('admin.name'), { required: true, maxLength: VEHICLE_LIMITS.nameMax })}
      {field('plate', t('admin.plate'), { maxLength: VEHICLE_LIMITS.plateMax })}
      <SelectField
        label={t('admin.type')}
        value={form.type}
        onChange={(e) => setForm({ ...form, type: e.target.value })}
      >
        {TYPES.map((type) => (
          <option key={type} value={type}>
            {t(`vehicleType.${type}`)}
          </option>
        ))}
      </SelectField>
      {field('speedLimitKmh', t('admin.speedLimit'), { inputMode: 'decimal' })}
      {groups.length > 0 && (
        <SelectField
          label={t('groups.group')}
          value={form.groupId ?? ''}
          onChange={(e) => setForm({ ...form, groupId: e.target.value })}
        >
          <option value="">{t('groups.noGroup')}</option>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {groupLabel(g)}
            </option>
          ))}
        </SelectField>
      )}
      {field('deviceIdentifier', t('admin.deviceIdentifier'), {
        placeholder: vehicle ? undefined : t('admin.identifierPlaceholder'),
        autoComplete: 'off',
      })}
      <SubmitRow error={saving.error} busy={saving.isPending} label={t('common.save')}>
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </SubmitRow>
    </form>
  );
}
