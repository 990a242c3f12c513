import type { Vehicle } from '@fleet/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { SelectField } from '../../components/Field';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';
import { fmt } from '../../i18n';

/** What an assignment change makes stale. */
const CHANGES_ASSIGNMENT = ['getVehicleDriver', 'listVehicleDriverAssignments', 'listDriverAssignments'] as const;
const HISTORY_SHOWN = 10;

/**
 * A vehicle's driver: who drives it now (assigned by hand or from the tracker's RFID / iButton
 * reading), assign another or nobody, and who drove it before.
 */
export function VehicleDriverPanel({
  vehicle,
  onClose,
}: {
  vehicle: Pick<Vehicle, 'id' | 'name'>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const params = { id: vehicle.id };
  const current = useApiQuery('getVehicleDriver', { params });
  const history = useApiQuery('listVehicleDriverAssignments', { params, query: { limit: HISTORY_SHOWN } });
  // Drivers to choose from: the first page by name (search on the drivers page for more).
  const drivers = useApiQuery('listDrivers', { query: { limit: 500 } });
  const [driverId, setDriverId] = useState('');
  const assign = useApiMutation('assignVehicleDriver', {
    invalidates: CHANGES_ASSIGNMENT,
    onSuccess: () => setDriverId(''),
  });
  const unassign = useApiMutation('unassignVehicleDriver', { invalidates: CHANGES_ASSIGNMENT });
  const now = current.data?.assignment;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (driverId) assign.mutate({ params, body: { driverId } });
  }

  return (
    <section className="card" aria-labelledby="vehicle-driver-title">
      <h3 id="vehicle-driver-title">{t('drivers.ofVehicle', { name: vehicle.name })}</h3>
      <ErrorBanner error={current.error ?? history.error ?? drivers.error ?? unassign.error} />
      {current.isSuccess && (
        <p data-testid="current-driver">
          {now
            ? t('drivers.currentSince', {
                name: now.driverName,
                since: fmt.dateTime(now.startedAt),
                source: t(`drivers.source.${now.source}`),
              })
            : t('drivers.nobody')}{' '}
          {now && <ActionButton onAct={() => unassign.mutate({ params })}>{t('drivers.unassign')}</ActionButton>}
        </p>
      )}
      <form className="form-grid" onSubmit={submit} noValidate>
        <SelectField label={t('drivers.assign')} value={driverId} onChange={(e) => setDriverId(e.target.value)}>
          <option value="">—</option>
          {(drivers.data?.items ?? [])
            .filter((d) => d.id !== now?.driverId)
            .map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
        </SelectField>
        <SubmitRow error={assign.error} busy={assign.isPending} label={t('drivers.assignAction')}>
          <button type="button" onClick={onClose}>
            {t('common.close')}
          </button>
        </SubmitRow>
      </form>
      <h4>{t('drivers.history')}</h4>
      <ul className="plain-list">
        {(history.data?.items ?? []).map((a) => (
          <li key={a.id}>
            {a.driverName} · {fmt.dateTime(a.startedAt)} – {a.endedAt ? fmt.dateTime(a.endedAt) : t('drivers.now')} ·{' '}
            {t(`drivers.source.${a.source}`)}
          </li>
        ))}
        {history.isSuccess && history.data.items.length === 0 && <li className="muted">—</li>}
      </ul>
    </section>
  );
}
