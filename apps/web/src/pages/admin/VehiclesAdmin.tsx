import type { Vehicle } from '@fleet/contracts';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { useToast } from '../../components/toasts';
import { useApi } from '../../session/context';
import { validateVehicle, vehicleInput, type FieldErrors, type VehicleForm } from '../forms';
import { freshDeviceTokens } from './one-time';

const TYPES = ['car', 'van', 'truck', 'bus', 'motorbike', 'bicycle', 'person', 'other'] as const;
const empty: VehicleForm = { name: '', plate: '', type: 'car', speedLimitKmh: '', deviceIdentifier: '' };
const formOf = (v: Vehicle): VehicleForm => ({
  name: v.name,
  plate: v.plate ?? '',
  type: v.type,
  speedLimitKmh: v.speedLimitKmh == null ? '' : String(v.speedLimitKmh),
  deviceIdentifier: v.deviceIdentifier,
});

export function VehiclesAdmin() {
  const { t } = useTranslation();
  const api = useApi();
  const notify = useToast();
  const [items, setItems] = useState<Vehicle[]>([]);
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<Vehicle | 'new'>();
  const [secret, setSecret] = useState<{ vehicle: Vehicle; token: string }>();
  const [error, setError] = useState<string>();
  const searchId = useId();

  const reload = useCallback(async () => {
    try {
      setItems((await api.vehicles({ q: q || undefined, limit: 500 })).items);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [api, q]);
  useEffect(() => void reload(), [reload]);

  async function regenerate(v: Vehicle) {
    if (!window.confirm(t('admin.confirmRegenerate', { name: v.name }))) return;
    try {
      const answer = await api.regenerateDeviceToken(v.id);
      freshDeviceTokens.set(v.id, answer.deviceToken);
      setSecret({ vehicle: answer.vehicle, token: answer.deviceToken });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  async function remove(v: Vehicle) {
    if (!window.confirm(t('admin.confirmDeleteVehicle', { name: v.name }))) return;
    try {
      await api.deleteVehicle(v.id);
      notify({ title: t('admin.deleted', { name: v.name }) });
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  async function toggleDevice(v: Vehicle) {
    try {
      await api.updateVehicle(v.id, { deviceDisabled: !v.deviceDisabled });
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section aria-labelledby="vehicles-admin-title">
      <h2 id="vehicles-admin-title">{t('admin.vehicles')}</h2>
      {secret && (
        <div className="card" data-testid="device-secret">
          <h3>{t('admin.deviceCredentials', { name: secret.vehicle.name })}</h3>
          <OneTimeSecret label={t('admin.deviceIdentifier')} value={secret.vehicle.deviceIdentifier} />
          <OneTimeSecret label={t('admin.deviceToken')} value={secret.token} testId="device-token" />
          <p>
            <Link href={`/vehicles/${secret.vehicle.id}/setup`}>{t('admin.setupPhone')}</Link>
          </p>
          <button type="button" onClick={() => setSecret(undefined)}>
            {t('common.done')}
          </button>
        </div>
      )}
      {editing ? (
        <VehicleEditor
          vehicle={editing === 'new' ? undefined : editing}
          onDone={async (result) => {
            setEditing(undefined);
            if (result?.token) {
              freshDeviceTokens.set(result.vehicle.id, result.token);
              setSecret({ vehicle: result.vehicle, token: result.token });
            }
            await reload();
          }}
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
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: error })}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('admin.name')}</th>
              <th scope="col">{t('admin.plate')}</th>
              <th scope="col">{t('admin.type')}</th>
              <th scope="col">{t('admin.deviceIdentifier')}</th>
              <th scope="col">{t('admin.device')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('admin.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.id}>
                <td>{v.name}</td>
                <td>{v.plate ?? '—'}</td>
                <td>{t(`vehicleType.${v.type}`, { defaultValue: v.type })}</td>
                <td>
                  <code>{v.deviceIdentifier}</code>
                </td>
                <td>{v.deviceDisabled ? t('admin.disabled') : t('admin.enabled')}</td>
                <td className="actions">
                  <button type="button" onClick={() => setEditing(v)} aria-label={t('admin.editX', { name: v.name })}>
                    {t('common.edit')}
                  </button>
                  <Link href={`/vehicles/${v.id}/setup`} aria-label={t('admin.setupX', { name: v.name })}>
                    {t('admin.setup')}
                  </Link>
                  <button
                    type="button"
                    onClick={() => void regenerate(v)}
                    aria-label={t('admin.regenerateX', { name: v.name })}
                  >
                    {t('admin.regenerate')}
                  </button>
                  <button type="button" onClick={() => void toggleDevice(v)}>
                    {v.deviceDisabled ? t('admin.enable') : t('admin.disable')}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void remove(v)}
                    aria-label={t('admin.deleteX', { name: v.name })}
                  >
                    {t('common.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function VehicleEditor({
  vehicle,
  onDone,
}: {
  vehicle?: Vehicle;
  onDone: (result?: { vehicle: Vehicle; token?: string }) => void | Promise<void>;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [form, setForm] = useState<VehicleForm>(vehicle ? formOf(vehicle) : empty);
  const [errors, setErrors] = useState<FieldErrors<keyof VehicleForm>>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const base = useId();
  const id = (f: string) => `${base}-${f}`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateVehicle(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setFailure(undefined);
    try {
      if (vehicle) {
        const input = vehicleInput(form);
        const updated = await api.updateVehicle(vehicle.id, input);
        await onDone({ vehicle: updated });
      } else {
        const created = await api.createVehicle(vehicleInput(form));
        await onDone({ vehicle: created.vehicle, token: created.deviceToken });
      }
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const field = (name: keyof VehicleForm, label: string, props: Record<string, unknown> = {}) => (
    <div className="field">
      <label htmlFor={id(name)}>{label}</label>
      <input
        id={id(name)}
        value={form[name]}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? id(`${name}-err`) : undefined}
        {...props}
      />
      {errors[name] && (
        <span className="field-error" id={id(`${name}-err`)}>
          {t(errors[name])}
        </span>
      )}
    </div>
  );

  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={id('title')}>
      <h3 id={id('title')}>{vehicle ? t('admin.editX', { name: vehicle.name }) : t('admin.newVehicle')}</h3>
      {field('name', t('admin.name'), { required: true, maxLength: 100 })}
      {field('plate', t('admin.plate'), { maxLength: 20 })}
      <div className="field">
        <label htmlFor={id('type')}>{t('admin.type')}</label>
        <select id={id('type')} value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
          {TYPES.map((type) => (
            <option key={type} value={type}>
              {t(`vehicleType.${type}`)}
            </option>
          ))}
        </select>
      </div>
      {field('speedLimitKmh', t('admin.speedLimit'), { inputMode: 'decimal' })}
      {field('deviceIdentifier', t('admin.deviceIdentifier'), {
        placeholder: vehicle ? undefined : t('admin.identifierPlaceholder'),
        autoComplete: 'off',
      })}
      {failure && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: failure })}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" onClick={() => void onDone()}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
