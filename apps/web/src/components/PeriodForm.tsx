import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useLive, useVehicleOrder } from '../live/context';
import { Field, SelectField } from './Field';
import { validatePeriod, type FieldErrors } from '../pages/forms';
import { presetPeriod, type Preset } from '../pages/period';

export interface PeriodChoice {
  vehicleId: string;
  from: string;
  to: string;
}

/** Vehicle + period, with presets; used by history replay and reports. */
export function PeriodForm({
  initial,
  onSubmit,
  submitLabel,
  busy,
}: {
  initial: Partial<PeriodChoice>;
  onSubmit: (choice: PeriodChoice) => void;
  submitLabel: string;
  busy?: boolean;
}) {
  const { t } = useTranslation();
  const { store } = useLive();
  const order = useVehicleOrder(store);
  const vehicles = useMemo(() => order.map((id) => ({ id, name: store.name(id) })), [order, store]);
  const start = presetPeriod('today');
  const [vehicleId, setVehicleId] = useState(initial.vehicleId ?? '');
  const [from, setFrom] = useState(initial.from ?? start.from);
  const [to, setTo] = useState(initial.to ?? start.to);
  const [errors, setErrors] = useState<FieldErrors<'from' | 'to' | 'vehicle'>>({});

  useEffect(() => {
    if (!vehicleId && vehicles.length) setVehicleId(vehicles[0].id);
  }, [vehicleId, vehicles]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const found: FieldErrors<'from' | 'to' | 'vehicle'> = validatePeriod(from, to);
    if (!vehicleId) found.vehicle = 'validation.required';
    setErrors(found);
    if (Object.keys(found).length === 0) onSubmit({ vehicleId, from, to });
  }

  function preset(p: Preset) {
    const period = presetPeriod(p);
    setFrom(period.from);
    setTo(period.to);
  }

  return (
    <form className="period-form" onSubmit={submit} noValidate>
      <SelectField
        label={t('period.vehicle')}
        value={vehicleId}
        onChange={(e) => setVehicleId(e.target.value)}
        error={errors.vehicle}
        data-testid="period-vehicle"
      >
        {vehicles.map((v) => (
          <option key={v.id} value={v.id}>
            {v.name}
          </option>
        ))}
      </SelectField>
      {(
        [
          ['from', from, setFrom],
          ['to', to, setTo],
        ] as const
      ).map(([end, value, set]) => (
        <Field
          key={end}
          label={t(`period.${end}`)}
          type="datetime-local"
          value={value}
          onChange={(e) => set(e.target.value)}
          error={errors[end]}
        />
      ))}
      <div className="presets" role="group" aria-label={t('period.presets')}>
        {(['today', 'yesterday', 'last7'] as const).map((p) => (
          <button key={p} type="button" onClick={() => preset(p)}>
            {t(`period.${p}`)}
          </button>
        ))}
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  );
}
