import type {
  MaintenanceRule,
  MaintenanceRuleInput,
  MaintenanceRuleStatus,
  VehicleMaintenance,
} from '@fleet/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../components/ActionButton';
import { Field, SelectField } from '../components/Field';
import { Table } from '../components/Table';
import { useApiMutation, useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { fmt } from '../i18n';

type Draft = {
  name: string;
  target: 'organization' | 'vehicle' | 'group';
  vehicleId: string;
  groupId: string;
  everyKm: string;
  everyEngineHours: string;
  everyMonths: string;
  notifyBeforeKm: string;
  notifyBeforeEngineHours: string;
  notifyBeforeDays: string;
  enabled: boolean;
};
type DraftErrors = Partial<Record<keyof Draft, string>>;

const emptyDraft: Draft = {
  name: '',
  target: 'organization',
  vehicleId: '',
  groupId: '',
  everyKm: '',
  everyEngineHours: '',
  everyMonths: '',
  notifyBeforeKm: '0',
  notifyBeforeEngineHours: '0',
  notifyBeforeDays: '0',
  enabled: true,
};

const text = (n: number | null) => (n === null ? '' : String(n));
const draftOf = (r: MaintenanceRule): Draft => ({
  name: r.name,
  target: r.vehicleId ? 'vehicle' : r.groupId ? 'group' : 'organization',
  vehicleId: r.vehicleId ?? '',
  groupId: r.groupId ?? '',
  everyKm: text(r.everyKm),
  everyEngineHours: text(r.everyEngineHours),
  everyMonths: text(r.everyMonths),
  notifyBeforeKm: String(r.notifyBeforeKm),
  notifyBeforeEngineHours: String(r.notifyBeforeEngineHours),
  notifyBeforeDays: String(r.notifyBeforeDays),
  enabled: r.enabled,
});

const num = (s: string) => (s.trim() === '' ? null : Number(s.replace(',', '.')));

/** The checks the API makes too, so most mistakes are shown beside their field before sending. */
export function validateMaintenanceRule(d: Draft): DraftErrors {
  const e: DraftErrors = {};
  if (!d.name.trim()) e.name = 'validation.required';
  if (d.target === 'vehicle' && !d.vehicleId) e.vehicleId = 'validation.required';
  if (d.target === 'group' && !d.groupId) e.groupId = 'validation.required';
  const every = { everyKm: num(d.everyKm), everyEngineHours: num(d.everyEngineHours), everyMonths: num(d.everyMonths) };
  for (const [key, v] of Object.entries(every) as Array<[keyof typeof every, number | null]>)
    if (v !== null && !(Number.isFinite(v) && v > 0)) e[key] = 'maintenance.positive';
  if (every.everyMonths !== null && !Number.isInteger(every.everyMonths)) e.everyMonths = 'maintenance.whole';
  if (every.everyKm === null && every.everyEngineHours === null && every.everyMonths === null)
    e.everyKm = 'maintenance.someInterval';
  for (const key of ['notifyBeforeKm', 'notifyBeforeEngineHours', 'notifyBeforeDays'] as const) {
    const v = num(d[key]) ?? 0;
    if (!(Number.isFinite(v) && v >= 0)) e[key] = 'maintenance.notNegative';
  }
  if (!Number.isInteger(num(d.notifyBeforeDays) ?? 0)) e.notifyBeforeDays = 'maintenance.whole';
  return e;
}

const bodyOf = (d: Draft): MaintenanceRuleInput => ({
  name: d.name.trim(),
  vehicleId: d.target === 'vehicle' ? d.vehicleId : null,
  groupId: d.target === 'group' ? d.groupId : null,
  everyKm: num(d.everyKm),
  everyEngineHours: num(d.everyEngineHours),
  everyMonths: num(d.everyMonths),
  notifyBeforeKm: num(d.notifyBeforeKm) ?? 0,
  notifyBeforeEngineHours: num(d.notifyBeforeEngineHours) ?? 0,
  notifyBeforeDays: num(d.notifyBeforeDays) ?? 0,
  enabled: d.enabled,
});

/** "15,000 km · 12 months", the rule's intervals in the current language. */
function useIntervals() {
  const { t } = useTranslation();
  return (r: Pick<MaintenanceRule, 'everyKm' | 'everyEngineHours' | 'everyMonths'>) =>
    [
      r.everyKm !== null && `${fmt.number(r.everyKm)} km`,
      r.everyEngineHours !== null && t('maintenance.hours', { value: fmt.number(r.everyEngineHours, 1) }),
      r.everyMonths !== null && t('maintenance.months', { count: r.everyMonths }),
    ]
      .filter(Boolean)
      .join(' · ');
}

const state = (r: MaintenanceRuleStatus) => (r.overdue ? 'overdue' : r.due ? 'due' : 'ok');

/** Maintenance: each vehicle against its rules (overdue and due first), service records and the rules. */
export default function MaintenancePage() {
  const { t } = useTranslation();
  const [doneFor, setDoneFor] = useState<VehicleMaintenance>();
  const [historyOf, setHistoryOf] = useState<VehicleMaintenance>();
  const status = useApiQuery('listMaintenanceStatus', { query: {} });
  const items = status.data?.items ?? [];
  return (
    <main id="main" className="page">
      <h1>{t('maintenance.title')}</h1>
      <p className="muted">{t('maintenance.intro')}</p>
      <section aria-labelledby="maintenance-status-title">
        <h2 id="maintenance-status-title">{t('maintenance.status')}</h2>
        <ErrorBanner error={status.error} />
        <Table
          rows={items}
          rowKey={(v) => v.vehicleId}
          testId="maintenance-status"
          columns={[
            { header: t('maintenance.vehicle'), cell: (v) => v.vehicleName },
            {
              header: t('maintenance.odometer'),
              cell: (v) => (v.odometerKm === null ? '—' : `${fmt.number(v.odometerKm)} km`),
            },
            {
              header: t('maintenance.engineHours'),
              cell: (v) =>
                v.engineHours === null ? '—' : t('maintenance.hours', { value: fmt.number(v.engineHours, 1) }),
            },
            {
              header: t('maintenance.next'),
              className: 'break',
              cell: (v) => (
                <ul className="plain-list">
                  {v.rules.map((r) => (
                    <li key={r.ruleId} className={`maintenance-${state(r)}`}>
                      <strong>{t(`maintenance.state.${state(r)}`)}</strong> · {r.ruleName}: <NextService rule={r} />
                    </li>
                  ))}
                </ul>
              ),
            },
            {
              header: null,
              className: 'actions',
              cell: (v) => (
                <>
                  <button type="button" onClick={() => setDoneFor(v)}>
                    {t('maintenance.markDone')}
                  </button>
                  <button type="button" onClick={() => setHistoryOf(v)}>
                    {t('maintenance.history')}
                  </button>
                </>
              ),
            },
          ]}
        />
        {status.isSuccess && items.length === 0 && <p className="muted">{t('maintenance.noVehicles')}</p>}
      </section>
      {doneFor && <DoneForm vehicle={doneFor} onDone={() => setDoneFor(undefined)} />}
      {historyOf && <History vehicle={historyOf} onClose={() => setHistoryOf(undefined)} />}
      <Rules />
    </main>
  );
}

function NextService({ rule }: { rule: MaintenanceRuleStatus }) {
  const { t } = useTranslation();
  const parts = [
    rule.nextKm !== null && `${fmt.number(rule.nextKm)} km`,
    rule.nextEngineHours !== null && t('maintenance.hours', { value: fmt.number(rule.nextEngineHours, 1) }),
    rule.nextAt !== null && fmt.dateTime(rule.nextAt),
  ].filter(Boolean);
  return <>{t('maintenance.at', { limits: parts.join(' · ') })}</>;
}

function DoneForm({ vehicle, onDone }: { vehicle: VehicleMaintenance; onDone: () => void }) {
  const { t } = useTranslation();
  const base = useId();
  const [ruleId, setRuleId] = useState(
    () => (vehicle.rules.find((r) => r.overdue) ?? vehicle.rules.find((r) => r.due) ?? vehicle.rules[0])?.ruleId ?? '',
  );
  const [note, setNote] = useState('');
  const done = useApiMutation('markMaintenanceDone', {
    invalidates: ['listMaintenanceStatus', 'listVehicleMaintenanceRecords', 'getVehicleMaintenance'],
    onSuccess: onDone,
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    done.mutate({ params: { id: vehicle.vehicleId }, body: { ruleId, note: note.trim() } });
  }
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`}>{t('maintenance.doneTitle', { vehicle: vehicle.vehicleName })}</h2>
      <SelectField label={t('maintenance.rule')} value={ruleId} onChange={(e) => setRuleId(e.target.value)}>
        {vehicle.rules.map((r) => (
          <option key={r.ruleId} value={r.ruleId}>
            {r.ruleName}
          </option>
        ))}
      </SelectField>
      <Field
        label={t('maintenance.note')}
        wrapperClassName="wide"
        value={note}
        maxLength={2000}
        onChange={(e) => setNote(e.target.value)}
      />
      <p className="muted wide">
        {t('maintenance.recordsCounters', {
          odometer: vehicle.odometerKm === null ? '—' : `${fmt.number(vehicle.odometerKm)} km`,
          hours: vehicle.engineHours === null ? '—' : fmt.number(vehicle.engineHours, 1),
        })}
      </p>
      <SubmitRow error={done.error} busy={done.isPending} label={t('maintenance.markDone')}>
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </SubmitRow>
    </form>
  );
}

function History({ vehicle, onClose }: { vehicle: VehicleMaintenance; onClose: () => void }) {
  const { t } = useTranslation();
  const records = useApiQuery('listVehicleMaintenanceRecords', { params: { id: vehicle.vehicleId }, query: {} });
  const items = records.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="maintenance-history-title">
      <h2 id="maintenance-history-title">{t('maintenance.historyOf', { vehicle: vehicle.vehicleName })}</h2>
      <button type="button" onClick={onClose}>
        {t('common.close')}
      </button>
      <ErrorBanner error={records.error} />
      <ul className="plain-list">
        {items.map((r) => (
          <li key={r.id}>
            {fmt.dateTime(r.doneAt)} · {r.ruleName ?? t('maintenance.deletedRule')} ·{' '}
            {r.odometerKm === null ? '—' : `${fmt.number(r.odometerKm)} km`} ·{' '}
            {r.engineHours === null ? '—' : t('maintenance.hours', { value: fmt.number(r.engineHours, 1) })}
            {r.userName && <> · {r.userName}</>}
            {r.note && <span className="muted"> · {r.note}</span>}
          </li>
        ))}
        {records.isSuccess && items.length === 0 && <li className="muted">{t('maintenance.noRecords')}</li>}
      </ul>
    </section>
  );
}

function Rules() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<MaintenanceRule | 'new'>();
  const rules = useApiQuery('listMaintenanceRules');
  const vehicles = useApiQuery('listVehicles', { query: { limit: 500 } });
  const groups = useApiQuery('listGroups');
  const intervals = useIntervals();
  const changed = { invalidates: ['listMaintenanceRules', 'listMaintenanceStatus'] } as const;
  const update = useApiMutation('updateMaintenanceRule', changed);
  const remove = useApiMutation('deleteMaintenanceRule', changed);
  const vehicleName = (id: string) => vehicles.data?.items.find((v) => v.id === id)?.name ?? id;
  const groupName = (id: string) => groups.data?.items.find((g) => g.id === id)?.name ?? id;
  const targetOf = (r: MaintenanceRule) =>
    r.vehicleId ? vehicleName(r.vehicleId) : r.groupId ? groupName(r.groupId) : t('maintenance.wholeOrganization');
  return (
    <section aria-labelledby="maintenance-rules-title">
      <h2 id="maintenance-rules-title">{t('maintenance.rules')}</h2>
      {editing ? (
        <RuleForm rule={editing === 'new' ? undefined : editing} onDone={() => setEditing(undefined)} />
      ) : (
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          {t('maintenance.newRule')}
        </button>
      )}
      <ErrorBanner error={rules.error ?? update.error ?? remove.error} />
      <Table
        rows={rules.data?.items ?? []}
        rowKey={(r) => r.id}
        testId="maintenance-rules"
        columns={[
          { header: t('maintenance.name'), cell: (r) => r.name },
          { header: t('maintenance.appliesTo'), cell: targetOf },
          { header: t('maintenance.every'), cell: intervals },
          {
            header: t('maintenance.notice'),
            cell: (r) =>
              [
                r.notifyBeforeKm > 0 && `${fmt.number(r.notifyBeforeKm)} km`,
                r.notifyBeforeEngineHours > 0 &&
                  t('maintenance.hours', { value: fmt.number(r.notifyBeforeEngineHours, 1) }),
                r.notifyBeforeDays > 0 && t('maintenance.days', { count: r.notifyBeforeDays }),
              ]
                .filter(Boolean)
                .join(' · ') || '—',
          },
          { header: t('admin.state'), cell: (r) => (r.enabled ? t('admin.enabled') : t('admin.disabled')) },
          {
            header: null,
            className: 'actions',
            cell: (r) => (
              <>
                <button type="button" onClick={() => setEditing(r)}>
                  {t('common.edit')}
                </button>
                <ActionButton onAct={() => update.mutate({ params: { id: r.id }, body: { enabled: !r.enabled } })}>
                  {r.enabled ? t('admin.disable') : t('admin.enable')}
                </ActionButton>
                <ActionButton
                  className="danger"
                  confirm={t('maintenance.confirmDelete', { name: r.name })}
                  onAct={() => remove.mutate({ params: { id: r.id } })}
                >
                  {t('common.delete')}
                </ActionButton>
              </>
            ),
          },
        ]}
      />
      {rules.isSuccess && rules.data.items.length === 0 && <p className="muted">{t('maintenance.noRules')}</p>}
    </section>
  );
}

function RuleForm({ rule, onDone }: { rule?: MaintenanceRule; onDone: () => void }) {
  const { t } = useTranslation();
  const [d, setD] = useState<Draft>(() => (rule ? draftOf(rule) : emptyDraft));
  const [errors, setErrors] = useState<DraftErrors>({});
  const vehicles = useApiQuery('listVehicles', { query: { limit: 500 } });
  const groups = useApiQuery('listGroups');
  const options = { invalidates: ['listMaintenanceRules', 'listMaintenanceStatus'] as const, onSuccess: onDone };
  const create = useApiMutation('createMaintenanceRule', options);
  const update = useApiMutation('updateMaintenanceRule', options);
  const base = useId();
  const set = (patch: Partial<Draft>) => setD((old) => ({ ...old, ...patch }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateMaintenanceRule(d);
    setErrors(found);
    if (Object.keys(found).length) return;
    if (rule) update.mutate({ params: { id: rule.id }, body: bodyOf(d) });
    else create.mutate({ body: bodyOf(d) });
  }
  const number = (key: keyof Draft, label: string) => (
    <Field
      label={label}
      inputMode="decimal"
      value={String(d[key])}
      error={errors[key]}
      onChange={(e) => set({ [key]: e.target.value })}
    />
  );
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`}>{rule ? t('maintenance.editRule') : t('maintenance.newRule')}</h2>
      <Field
        label={t('maintenance.name')}
        value={d.name}
        error={errors.name}
        onChange={(e) => set({ name: e.target.value })}
      />
      <SelectField
        label={t('maintenance.appliesTo')}
        value={d.target}
        onChange={(e) => set({ target: e.target.value as Draft['target'] })}
      >
        <option value="organization">{t('maintenance.wholeOrganization')}</option>
        <option value="vehicle">{t('maintenance.oneVehicle')}</option>
        <option value="group">{t('maintenance.oneGroup')}</option>
      </SelectField>
      {d.target === 'vehicle' && (
        <SelectField
          label={t('maintenance.vehicle')}
          value={d.vehicleId}
          error={errors.vehicleId}
          onChange={(e) => set({ vehicleId: e.target.value })}
        >
          <option value="">—</option>
          {(vehicles.data?.items ?? []).map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
            </option>
          ))}
        </SelectField>
      )}
      {d.target === 'group' && (
        <SelectField
          label={t('maintenance.group')}
          value={d.groupId}
          error={errors.groupId}
          onChange={(e) => set({ groupId: e.target.value })}
        >
          <option value="">—</option>
          {(groups.data?.items ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </SelectField>
      )}
      {number('everyKm', t('maintenance.everyKm'))}
      {number('everyEngineHours', t('maintenance.everyEngineHours'))}
      {number('everyMonths', t('maintenance.everyMonths'))}
      {number('notifyBeforeKm', t('maintenance.notifyBeforeKm'))}
      {number('notifyBeforeEngineHours', t('maintenance.notifyBeforeEngineHours'))}
      {number('notifyBeforeDays', t('maintenance.notifyBeforeDays'))}
      <span className="check wide">
        <input
          id={`${base}-enabled`}
          type="checkbox"
          checked={d.enabled}
          onChange={(e) => set({ enabled: e.target.checked })}
        />
        <label htmlFor={`${base}-enabled`}>{t('admin.enabled')}</label>
      </span>
      <SubmitRow
        error={create.error ?? update.error}
        busy={create.isPending || update.isPending}
        label={rule ? t('common.save') : t('common.create')}
      >
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </SubmitRow>
    </form>
  );
}
