import {
  DEFAULT_TRACKER_SETTINGS,
  TRACKER_SETTING_NAMES,
  TRACKER_SETTINGS_LIMITS,
  TrackerSettingsOverride,
  type TrackerSettings,
  type TrackerSettingsLevel,
} from '@fleet/contracts';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { Field } from '../../components/Field';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';

type Name = (typeof TRACKER_SETTING_NAMES)[number];
type Draft = Record<Name, string>;

const draftOf = (overrides: TrackerSettingsOverride | null | undefined): Draft =>
  Object.fromEntries(
    TRACKER_SETTING_NAMES.map((n) => [n, overrides?.[n] === undefined ? '' : String(overrides[n])]),
  ) as Draft;

/** The override a draft describes (empty fields inherit), and the fields that are not valid. */
export function parseDraft(
  draft: Draft,
  offlineMinutes: number,
  inherited: TrackerSettings,
): { overrides?: TrackerSettingsOverride; errors: Partial<Record<Name, string>> } {
  const raw: Record<string, number> = {};
  const errors: Partial<Record<Name, string>> = {};
  for (const n of TRACKER_SETTING_NAMES) {
    const text = draft[n].trim();
    if (!text) continue;
    const value = Number(text);
    const { min, max } = TRACKER_SETTINGS_LIMITS[n];
    if (!Number.isInteger(value) || value < min || value > max) errors[n] = 'tracker.outOfRange';
    else raw[n] = value;
  }
  const heartbeat = raw['heartbeatSeconds'] ?? inherited.heartbeatSeconds;
  if (!errors.heartbeatSeconds && heartbeat >= offlineMinutes * 60)
    errors.heartbeatSeconds = 'tracker.heartbeatTooLong';
  if (Object.keys(errors).length) return { errors };
  return { overrides: TrackerSettingsOverride.parse(raw), errors };
}

/**
 * The tracker app's settings at one level: the organization's (over the defaults) or one vehicle's
 * (over the organization's). An empty field inherits; its placeholder shows what it inherits.
 */
export function TrackerSettingsForm({ vehicleId }: { vehicleId?: string }) {
  const { t } = useTranslation();
  const base = useId();
  const organization = useApiQuery('getOrganizationTrackerSettings');
  const vehicle = useApiQuery(
    'getVehicleTrackerSettings',
    { params: { id: vehicleId ?? '' } },
    { enabled: vehicleId !== undefined },
  );
  const level: TrackerSettingsLevel | undefined = vehicleId ? vehicle.data : organization.data;
  const [draft, setDraft] = useState<Draft>(() => draftOf(undefined));
  const [errors, setErrors] = useState<Partial<Record<Name, string>>>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (level) setDraft(draftOf(level.overrides));
  }, [level]);
  const invalidates = ['getOrganizationTrackerSettings', 'getVehicleTrackerSettings'] as const;
  const onSuccess = () => setSaved(true);
  const putOrganization = useApiMutation('putOrganizationTrackerSettings', { invalidates, onSuccess });
  const putVehicle = useApiMutation('putVehicleTrackerSettings', { invalidates, onSuccess });
  const clearVehicle = useApiMutation('deleteVehicleTrackerSettings', { invalidates, onSuccess });

  const loadError = organization.error ?? vehicle.error;
  if (loadError) return <ErrorBanner error={loadError} />;
  if (!level || !organization.data) return <p role="status">{t('common.loading')}</p>;
  // What an empty field takes: the defaults under the organization, the organization's under a vehicle.
  const inherited = vehicleId ? organization.data.effective : DEFAULT_TRACKER_SETTINGS;
  const offlineMinutes = level.offlineMinutes;

  function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const parsed = parseDraft(draft, offlineMinutes, inherited);
    setErrors(parsed.errors);
    if (!parsed.overrides) return;
    if (vehicleId) putVehicle.mutate({ params: { id: vehicleId }, body: parsed.overrides });
    else putOrganization.mutate({ body: parsed.overrides });
  }

  const mutation = vehicleId ? putVehicle : putOrganization;
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{vehicleId ? t('tracker.vehicleTitle') : t('tracker.organizationTitle')}</h3>
      <p className="muted wide">
        {vehicleId ? t('tracker.vehicleIntro') : t('tracker.organizationIntro')}{' '}
        {t('tracker.heartbeatHint', { minutes: level.offlineMinutes })}
      </p>
      {TRACKER_SETTING_NAMES.map((n) => (
        <Field
          key={n}
          label={t(`tracker.field.${n}`)}
          type="number"
          inputMode="numeric"
          min={TRACKER_SETTINGS_LIMITS[n].min}
          max={TRACKER_SETTINGS_LIMITS[n].max}
          value={draft[n]}
          placeholder={String(inherited[n])}
          error={errors[n]}
          data-testid={`tracker-${n}`}
          onChange={(e) => setDraft({ ...draft, [n]: e.target.value })}
        />
      ))}
      <SubmitRow error={mutation.error ?? clearVehicle.error} busy={mutation.isPending} label={t('common.save')}>
        {vehicleId && level.overrides && (
          <ActionButton onAct={() => clearVehicle.mutate({ params: { id: vehicleId } })}>
            {t('tracker.useOrganization')}
          </ActionButton>
        )}
      </SubmitRow>
      {saved && (
        <p role="status" className="muted wide">
          {t('tracker.saved')}
        </p>
      )}
    </form>
  );
}
