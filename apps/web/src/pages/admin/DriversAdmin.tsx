import { ApiError } from '@fleet/api-client';
import { DRIVER_LIMITS, type Driver, type DriverInput } from '@fleet/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { Field } from '../../components/Field';
import { Pager } from '../../components/Pager';
import { Table } from '../../components/Table';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';
import { fmt } from '../../i18n';

export const DRIVERS_PAGE = 50;

/** What a driver write makes stale: the drivers, and who drives which vehicle (names shown there). */
const CHANGES_DRIVERS = ['listDrivers', 'getVehicleDriver', 'listVehicleDriverAssignments'] as const;

/** Letters, digits and . _ : - as the API accepts (an RFID card's or iButton key's identifier). */
const UNIQUE_ID = /^[A-Za-z0-9._:-]+$/;

type Form = Record<'name' | 'licenceNumber' | 'licenceExpiresOn' | 'uniqueId' | 'phone' | 'notes', string>;

/** The i18n key of each field's problem, before anything is sent. */
export function validateDriver(form: Form): Partial<Record<keyof Form, string>> {
  const errors: Partial<Record<keyof Form, string>> = {};
  if (!form.name.trim()) errors.name = 'validation.required';
  const uniqueId = form.uniqueId.trim();
  if (uniqueId && !UNIQUE_ID.test(uniqueId)) errors.uniqueId = 'drivers.uniqueIdInvalid';
  return errors;
}

/** The body of a create or change: empty optional fields are sent as null (cleared). */
export function driverBody(form: Form): DriverInput {
  const text = (v: string) => v.trim() || null;
  return {
    name: form.name.trim(),
    licenceNumber: text(form.licenceNumber),
    licenceExpiresOn: form.licenceExpiresOn || null,
    uniqueId: text(form.uniqueId),
    phone: text(form.phone),
    notes: text(form.notes),
  };
}

/** The organization's drivers: list and search, create, edit, delete. */
export function DriversAdmin() {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Driver | 'new'>();
  const [historyOf, setHistoryOf] = useState<Driver>();
  const drivers = useApiQuery('listDrivers', { query: { q: q.trim() || undefined, limit: DRIVERS_PAGE, offset } });
  const remove = useApiMutation('deleteDriver', { invalidates: CHANGES_DRIVERS });
  const searchId = useId();

  return (
    <section aria-labelledby="drivers-admin-title">
      <h2 id="drivers-admin-title">{t('drivers.title')}</h2>
      <p className="muted">{t('drivers.intro')}</p>
      {editing ? (
        <DriverEditor driver={editing === 'new' ? undefined : editing} onDone={() => setEditing(undefined)} />
      ) : (
        <div className="row">
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            {t('drivers.new')}
          </button>
          <label htmlFor={searchId} className="visually-hidden">
            {t('drivers.search')}
          </label>
          <input
            id={searchId}
            type="search"
            placeholder={t('drivers.search')}
            value={q}
            onChange={(e) => (setQ(e.target.value), setOffset(0))}
          />
        </div>
      )}
      <ErrorBanner error={drivers.error ?? remove.error} />
      {drivers.isSuccess && drivers.data.items.length === 0 && <p>{t('drivers.none')}</p>}
      <Table
        rows={drivers.data?.items ?? []}
        rowKey={(d) => d.id}
        columns={[
          { header: t('admin.name'), cell: (d) => d.name },
          { header: t('drivers.licenceNumber'), cell: (d) => d.licenceNumber ?? '—' },
          { header: t('drivers.licenceExpiresOn'), cell: (d) => d.licenceExpiresOn ?? '—' },
          { header: t('drivers.uniqueId'), cell: (d) => (d.uniqueId ? <code>{d.uniqueId}</code> : '—') },
          { header: t('drivers.phone'), cell: (d) => d.phone ?? '—' },
          {
            header: null,
            className: 'actions',
            cell: (d) => (
              <>
                <button type="button" onClick={() => setEditing(d)} aria-label={t('admin.editX', { name: d.name })}>
                  {t('common.edit')}
                </button>
                <button
                  type="button"
                  onClick={() => setHistoryOf(d)}
                  aria-label={t('drivers.vehiclesOf', { name: d.name })}
                >
                  {t('drivers.vehicles')}
                </button>
                <ActionButton
                  className="danger"
                  confirm={t('drivers.confirmDelete', { name: d.name })}
                  onAct={() => remove.mutate({ params: { id: d.id } })}
                  aria-label={t('admin.deleteX', { name: d.name })}
                >
                  {t('common.delete')}
                </ActionButton>
              </>
            ),
          },
        ]}
      />
      <Pager page={drivers.data} onOffset={setOffset} />
      {historyOf && <DriverAssignments driver={historyOf} onClose={() => setHistoryOf(undefined)} />}
    </section>
  );
}

/** The vehicles a driver drove (those the caller may see), newest first. */
function DriverAssignments({ driver, onClose }: { driver: Driver; onClose: () => void }) {
  const { t } = useTranslation();
  const assignments = useApiQuery('listDriverAssignments', { params: { id: driver.id }, query: { limit: 50 } });
  const items = assignments.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="driver-assignments-title">
      <h3 id="driver-assignments-title">{t('drivers.vehiclesOf', { name: driver.name })}</h3>
      <ErrorBanner error={assignments.error} />
      <ul className="plain-list">
        {items.map((a) => (
          <li key={a.id}>
            {a.vehicleName} · {fmt.dateTime(a.startedAt)} – {a.endedAt ? fmt.dateTime(a.endedAt) : t('drivers.now')} ·{' '}
            {t(`drivers.source.${a.source}`)}
          </li>
        ))}
        {assignments.isSuccess && items.length === 0 && <li className="muted">—</li>}
      </ul>
      <button type="button" onClick={onClose}>
        {t('common.close')}
      </button>
    </section>
  );
}

function DriverEditor({ driver, onDone }: { driver?: Driver; onDone: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<Form>({
    name: driver?.name ?? '',
    licenceNumber: driver?.licenceNumber ?? '',
    licenceExpiresOn: driver?.licenceExpiresOn ?? '',
    uniqueId: driver?.uniqueId ?? '',
    phone: driver?.phone ?? '',
    notes: driver?.notes ?? '',
  });
  const [errors, setErrors] = useState<Partial<Record<keyof Form, string>>>({});
  const create = useApiMutation('createDriver', { invalidates: CHANGES_DRIVERS, onSuccess: onDone });
  const update = useApiMutation('updateDriver', { invalidates: CHANGES_DRIVERS, onSuccess: onDone });
  const saving = driver ? update : create;
  // The server's 409: another driver of the organization has this identifier.
  const taken = saving.error instanceof ApiError && saving.error.status === 409;
  const set = (key: keyof Form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateDriver(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    const body = driverBody(form);
    if (driver) update.mutate({ params: { id: driver.id }, body });
    else create.mutate({ body });
  }

  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby="driver-editor-title">
      <h3 id="driver-editor-title">{driver ? t('admin.editX', { name: driver.name }) : t('drivers.new')}</h3>
      <Field
        label={t('admin.name')}
        value={form.name}
        error={errors.name}
        required
        maxLength={DRIVER_LIMITS.nameMax}
        onChange={set('name')}
      />
      <Field
        label={t('drivers.licenceNumber')}
        value={form.licenceNumber}
        maxLength={DRIVER_LIMITS.licenceMax}
        onChange={set('licenceNumber')}
      />
      <Field
        label={t('drivers.licenceExpiresOn')}
        type="date"
        value={form.licenceExpiresOn}
        onChange={set('licenceExpiresOn')}
      />
      <Field
        label={t('drivers.uniqueId')}
        value={form.uniqueId}
        error={errors.uniqueId ?? (taken ? 'drivers.uniqueIdTaken' : undefined)}
        maxLength={DRIVER_LIMITS.uniqueIdMax}
        placeholder="01000000ABCDEF2D"
        onChange={set('uniqueId')}
      />
      <Field
        label={t('drivers.phone')}
        type="tel"
        value={form.phone}
        maxLength={DRIVER_LIMITS.phoneMax}
        onChange={set('phone')}
      />
      <Field
        label={t('drivers.notes')}
        wrapperClassName="wide"
        value={form.notes}
        maxLength={DRIVER_LIMITS.notesMax}
        onChange={set('notes')}
      />
      <p className="muted small wide">{t('drivers.uniqueIdHint')}</p>
      <SubmitRow error={saving.error} busy={saving.isPending} label={driver ? t('common.save') : t('common.create')}>
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </SubmitRow>
    </form>
  );
}
