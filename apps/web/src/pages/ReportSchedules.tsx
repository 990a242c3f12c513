import {
  ReportScheduleKind,
  type ReportFrequency,
  type ReportSchedule,
  type ReportScheduleInput,
  type ReportScheduleTiming,
} from '@fleet/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../components/ActionButton';
import { Field, SelectField } from '../components/Field';
import { Table } from '../components/Table';
import { useApiMutation, useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { fmt } from '../i18n';
import { GroupChecks } from './GroupChecks';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export type ScheduleDraft = {
  name: string;
  kind: ReportScheduleKind;
  vehicleIds: string[];
  groupIds: string[];
  recipients: string;
  frequency: ReportFrequency;
  weekday: number;
  dayOfMonth: string;
  hour: string;
  timeZone: string;
  language: 'en' | 'es';
  enabled: boolean;
};
type DraftErrors = Partial<Record<'name' | 'recipients' | 'vehicleIds' | 'dayOfMonth' | 'hour' | 'timeZone', string>>;

const emptyDraft = (language: string): ScheduleDraft => ({
  name: '',
  kind: 'trips',
  vehicleIds: [],
  groupIds: [],
  recipients: '',
  frequency: 'daily',
  weekday: 1,
  dayOfMonth: '1',
  hour: '7',
  timeZone: browserZone(),
  language: language.startsWith('es') ? 'es' : 'en',
  enabled: true,
});

const draftOf = (s: ReportSchedule): ScheduleDraft => ({
  name: s.name,
  kind: s.kind,
  vehicleIds: s.vehicleIds,
  groupIds: s.groupIds,
  recipients: s.recipients.join(', '),
  frequency: s.timing.frequency,
  weekday: s.timing.frequency === 'weekly' ? s.timing.weekday : 1,
  dayOfMonth: String(s.timing.frequency === 'monthly' ? s.timing.dayOfMonth : 1),
  hour: String(s.timing.hour),
  timeZone: s.timeZone,
  language: s.language,
  enabled: s.enabled,
});

const recipientsOf = (d: ScheduleDraft) =>
  d.recipients
    .split(/[,;\s]+/)
    .map((r) => r.trim())
    .filter(Boolean);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

const intIn = (s: string, min: number, max: number) => /^\d{1,2}$/.test(s.trim()) && +s >= min && +s <= max;

/** The checks the API makes too, so most mistakes are shown beside their field before sending. */
export function validateReportSchedule(d: ScheduleDraft): DraftErrors {
  const e: DraftErrors = {};
  if (!d.name.trim()) e.name = 'validation.required';
  const recipients = recipientsOf(d);
  if (!recipients.length) e.recipients = 'validation.required';
  else if (!recipients.every((r) => EMAIL.test(r))) e.recipients = 'validation.email';
  if (d.kind !== 'events' && !d.vehicleIds.length && !d.groupIds.length) e.vehicleIds = 'reportSchedules.pickVehicle';
  if (!intIn(d.hour, 0, 23)) e.hour = 'reportSchedules.badHour';
  if (d.frequency === 'monthly' && !intIn(d.dayOfMonth, 1, 31)) e.dayOfMonth = 'reportSchedules.badDay';
  if (!isTimeZone(d.timeZone.trim())) e.timeZone = 'notifications.badTimeZone';
  return e;
}

function timingOf(d: ScheduleDraft): ReportScheduleTiming {
  const hour = Number(d.hour);
  if (d.frequency === 'weekly') return { frequency: 'weekly', weekday: d.weekday, hour };
  if (d.frequency === 'monthly') return { frequency: 'monthly', dayOfMonth: Number(d.dayOfMonth), hour };
  return { frequency: 'daily', hour };
}

export const scheduleBodyOf = (d: ScheduleDraft): ReportScheduleInput => ({
  name: d.name.trim(),
  kind: d.kind,
  vehicleIds: d.vehicleIds,
  groupIds: d.groupIds,
  recipients: recipientsOf(d),
  timing: timingOf(d),
  timeZone: d.timeZone.trim(),
  language: d.language,
  enabled: d.enabled,
});

/** The signed-in user's scheduled reports (e-mailed as PDF and CSV) and their recent runs. */
export function ReportSchedules() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<ReportSchedule | 'new'>();
  const [runsOf, setRunsOf] = useState<ReportSchedule>();
  const schedules = useApiQuery('listReportSchedules');
  const changed = { invalidates: ['listReportSchedules', 'listReportRuns'] } as const;
  const update = useApiMutation('updateReportSchedule', changed);
  const run = useApiMutation('runReportSchedule', changed);
  const remove = useApiMutation('deleteReportSchedule', changed);
  const timing = (s: ReportSchedule) => {
    const at = `${String(s.timing.hour).padStart(2, '0')}:00 ${s.timeZone}`;
    if (s.timing.frequency === 'weekly')
      return t('reportSchedules.weeklyAt', { day: t(`reportSchedules.weekday.${s.timing.weekday}`), at });
    if (s.timing.frequency === 'monthly') return t('reportSchedules.monthlyAt', { day: s.timing.dayOfMonth, at });
    return t('reportSchedules.dailyAt', { at });
  };

  return (
    <section className="card" aria-labelledby="report-schedules-title">
      <h2 id="report-schedules-title">{t('reportSchedules.title')}</h2>
      <p className="muted">{t('reportSchedules.intro')}</p>
      {editing ? (
        <ScheduleForm schedule={editing === 'new' ? undefined : editing} onDone={() => setEditing(undefined)} />
      ) : (
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          {t('reportSchedules.new')}
        </button>
      )}
      <ErrorBanner error={schedules.error ?? update.error ?? run.error ?? remove.error} />
      <Table
        rows={schedules.data?.items ?? []}
        rowKey={(s) => s.id}
        columns={[
          { header: t('notifications.name'), cell: (s) => s.name },
          { header: t('reportSchedules.kind'), cell: (s) => t(`reportSchedules.kinds.${s.kind}`) },
          { header: t('reportSchedules.when'), cell: timing },
          { header: t('reportSchedules.recipients'), className: 'break', cell: (s) => s.recipients.join(', ') },
          {
            header: t('reportSchedules.next'),
            cell: (s) => (s.enabled && s.nextRunAt ? fmt.dateTime(s.nextRunAt) : t('admin.disabled')),
          },
          {
            header: t('reportSchedules.last'),
            cell: (s) =>
              s.lastStatus
                ? `${t(`reportSchedules.status.${s.lastStatus}`)}${s.lastError ? ` · ${s.lastError}` : ''}`
                : '—',
          },
          {
            header: null,
            className: 'actions',
            cell: (s) => (
              <>
                <button type="button" onClick={() => setEditing(s)}>
                  {t('common.edit')}
                </button>
                <ActionButton onAct={() => update.mutate({ params: { id: s.id }, body: { enabled: !s.enabled } })}>
                  {s.enabled ? t('admin.disable') : t('admin.enable')}
                </ActionButton>
                <ActionButton onAct={() => run.mutate({ params: { id: s.id } }, { onSuccess: () => setRunsOf(s) })}>
                  {t('reportSchedules.runNow')}
                </ActionButton>
                <button type="button" onClick={() => setRunsOf(s)}>
                  {t('reportSchedules.runs')}
                </button>
                <ActionButton
                  className="danger"
                  confirm={t('reportSchedules.confirmDelete', { name: s.name })}
                  onAct={() => remove.mutate({ params: { id: s.id } })}
                >
                  {t('common.delete')}
                </ActionButton>
              </>
            ),
          },
        ]}
      />
      {schedules.isSuccess && schedules.data.items.length === 0 && <p className="muted">{t('reportSchedules.none')}</p>}
      {runsOf && <RunLog schedule={runsOf} />}
    </section>
  );
}

function RunLog({ schedule }: { schedule: ReportSchedule }) {
  const { t } = useTranslation();
  const runs = useApiQuery('listReportRuns', { params: { id: schedule.id }, query: { limit: 20 } });
  const items = runs.data?.items ?? [];
  return (
    <div aria-live="polite">
      <h3>{t('reportSchedules.runsOf', { name: schedule.name })}</h3>
      <ErrorBanner error={runs.error} />
      <ul className="plain-list">
        {items.map((r) => (
          <li key={r.id}>
            {fmt.dateTime(r.periodFrom)} – {fmt.dateTime(r.periodTo)} · {t(`reportSchedules.status.${r.status}`)} ·{' '}
            {t('admin.attempts', { count: r.attempts })}
            {r.sentAt && <span className="muted"> · {fmt.dateTime(r.sentAt)}</span>}
            {r.error && <span className="muted"> · {r.error}</span>}
          </li>
        ))}
        {runs.isSuccess && items.length === 0 && <li className="muted">—</li>}
      </ul>
    </div>
  );
}

function ScheduleForm({ schedule, onDone }: { schedule?: ReportSchedule; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const [d, setD] = useState<ScheduleDraft>(() => (schedule ? draftOf(schedule) : emptyDraft(i18n.language)));
  const [errors, setErrors] = useState<DraftErrors>({});
  const vehicles = useApiQuery('listVehicles', { query: { limit: 500 } });
  const options = { invalidates: ['listReportSchedules'] as const, onSuccess: onDone };
  const create = useApiMutation('createReportSchedule', options);
  const update = useApiMutation('updateReportSchedule', options);
  const base = useId();
  const set = (patch: Partial<ScheduleDraft>) => setD((old) => ({ ...old, ...patch }));
  const toggle = (list: string[], item: string, on: boolean) => (on ? [...list, item] : list.filter((x) => x !== item));

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateReportSchedule(d);
    setErrors(found);
    if (Object.keys(found).length) return;
    if (schedule) update.mutate({ params: { id: schedule.id }, body: scheduleBodyOf(d) });
    else create.mutate({ body: scheduleBodyOf(d) });
  }
  return (
    <form className="form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{schedule ? t('reportSchedules.edit') : t('reportSchedules.new')}</h3>
      <Field
        label={t('notifications.name')}
        value={d.name}
        error={errors.name}
        onChange={(e) => set({ name: e.target.value })}
      />
      <SelectField
        label={t('reportSchedules.kind')}
        value={d.kind}
        onChange={(e) => set({ kind: ReportScheduleKind.parse(e.target.value) })}
      >
        {ReportScheduleKind.options.map((k) => (
          <option key={k} value={k}>
            {t(`reportSchedules.kinds.${k}`)}
          </option>
        ))}
      </SelectField>
      <Field
        label={t('reportSchedules.recipients')}
        value={d.recipients}
        placeholder="ops@example.com, boss@example.com"
        error={errors.recipients}
        onChange={(e) => set({ recipients: e.target.value })}
      />
      <SelectField
        label={t('reportSchedules.frequency')}
        value={d.frequency}
        onChange={(e) =>
          set({
            frequency: e.target.value === 'weekly' ? 'weekly' : e.target.value === 'monthly' ? 'monthly' : 'daily',
          })
        }
      >
        <option value="daily">{t('reportSchedules.daily')}</option>
        <option value="weekly">{t('reportSchedules.weekly')}</option>
        <option value="monthly">{t('reportSchedules.monthly')}</option>
      </SelectField>
      {d.frequency === 'weekly' && (
        <SelectField
          label={t('reportSchedules.weekdayLabel')}
          value={String(d.weekday)}
          onChange={(e) => set({ weekday: Number(e.target.value) })}
        >
          {WEEKDAYS.map((w) => (
            <option key={w} value={w}>
              {t(`reportSchedules.weekday.${w}`)}
            </option>
          ))}
        </SelectField>
      )}
      {d.frequency === 'monthly' && (
        <Field
          label={t('reportSchedules.dayOfMonth')}
          value={d.dayOfMonth}
          inputMode="numeric"
          error={errors.dayOfMonth}
          onChange={(e) => set({ dayOfMonth: e.target.value })}
        />
      )}
      <Field
        label={t('reportSchedules.hour')}
        value={d.hour}
        inputMode="numeric"
        error={errors.hour}
        onChange={(e) => set({ hour: e.target.value })}
      />
      <Field
        label={t('notifications.timeZone')}
        value={d.timeZone}
        placeholder="Europe/Madrid"
        error={errors.timeZone}
        onChange={(e) => set({ timeZone: e.target.value })}
      />
      <SelectField
        label={t('common.language')}
        value={d.language}
        onChange={(e) => set({ language: e.target.value === 'es' ? 'es' : 'en' })}
      >
        <option value="en">English</option>
        <option value="es">Español</option>
      </SelectField>
      <fieldset className="wide">
        <legend>{t('reportSchedules.vehicles')}</legend>
        {(vehicles.data?.items ?? []).map((v) => (
          <span key={v.id} className="check">
            <input
              id={`${base}-v-${v.id}`}
              type="checkbox"
              checked={d.vehicleIds.includes(v.id)}
              onChange={(e) => set({ vehicleIds: toggle(d.vehicleIds, v.id, e.target.checked) })}
            />
            <label htmlFor={`${base}-v-${v.id}`}>{v.name}</label>
          </span>
        ))}
        {errors.vehicleIds && <span className="field-error">{t(errors.vehicleIds)}</span>}
      </fieldset>
      <GroupChecks legend={t('reportSchedules.groups')} value={d.groupIds} onChange={(groupIds) => set({ groupIds })} />
      <SubmitRow
        error={create.error ?? update.error}
        busy={create.isPending || update.isPending}
        label={schedule ? t('common.save') : t('common.create')}
      >
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </SubmitRow>
    </form>
  );
}
