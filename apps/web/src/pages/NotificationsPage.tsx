import { EventType, type NotificationRule, type NotificationRuleInput } from '@fleet/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../components/ActionButton';
import { Field, SelectField } from '../components/Field';
import { Table } from '../components/Table';
import { useApiMutation, useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { fmt } from '../i18n';
import { GroupChecks } from './GroupChecks';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CHAT = /^(-?\d{1,20}|@[A-Za-z]\w{4,31})$/;
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

type Draft = {
  name: string;
  eventTypes: EventType[];
  vehicleIds: string[];
  groupIds: string[];
  email: string;
  telegramChatId: string;
  language: 'en' | 'es';
  timeZone: string;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  quietMode: 'skip' | 'defer';
  enabled: boolean;
};
type DraftErrors = Partial<
  Record<'name' | 'eventTypes' | 'email' | 'telegramChatId' | 'timeZone' | 'quietStart' | 'quietEnd', string>
>;

const emptyDraft = (language: string): Draft => ({
  name: '',
  eventTypes: [],
  vehicleIds: [],
  groupIds: [],
  email: '',
  telegramChatId: '',
  language: language.startsWith('es') ? 'es' : 'en',
  timeZone: browserZone(),
  quiet: false,
  quietStart: '22:00',
  quietEnd: '07:00',
  quietMode: 'defer',
  enabled: true,
});

const draftOf = (r: NotificationRule): Draft => ({
  name: r.name,
  eventTypes: r.eventTypes,
  vehicleIds: r.vehicleIds,
  groupIds: r.groupIds,
  email: r.targets.email ?? '',
  telegramChatId: r.targets.telegramChatId ?? '',
  language: r.language,
  timeZone: r.timeZone,
  quiet: r.quietHours !== null,
  quietStart: r.quietHours?.start ?? '22:00',
  quietEnd: r.quietHours?.end ?? '07:00',
  quietMode: r.quietHours?.mode ?? 'defer',
  enabled: r.enabled,
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** The checks the API makes too, so most mistakes are shown beside their field before sending. */
export function validateNotificationRule(d: Draft): DraftErrors {
  const e: DraftErrors = {};
  if (!d.name.trim()) e.name = 'validation.required';
  if (!d.eventTypes.length) e.eventTypes = 'notifications.pickEventType';
  if (d.email.trim() && !EMAIL.test(d.email.trim())) e.email = 'validation.email';
  if (d.telegramChatId.trim() && !CHAT.test(d.telegramChatId.trim())) e.telegramChatId = 'notifications.badChatId';
  if (!d.email.trim() && !d.telegramChatId.trim()) e.email = 'notifications.pickChannel';
  if (!isTimeZone(d.timeZone.trim())) e.timeZone = 'notifications.badTimeZone';
  if (d.quiet && !HHMM.test(d.quietStart)) e.quietStart = 'notifications.badTime';
  if (d.quiet && !HHMM.test(d.quietEnd)) e.quietEnd = 'notifications.badTime';
  return e;
}

const bodyOf = (d: Draft): NotificationRuleInput => ({
  name: d.name.trim(),
  eventTypes: d.eventTypes,
  vehicleIds: d.vehicleIds,
  groupIds: d.groupIds,
  targets: { email: d.email.trim() || null, telegramChatId: d.telegramChatId.trim() || null },
  language: d.language,
  timeZone: d.timeZone.trim(),
  quietHours: d.quiet ? { start: d.quietStart, end: d.quietEnd, mode: d.quietMode } : null,
  enabled: d.enabled,
});

/** The signed-in user's notification rules (e-mail, Telegram) and their delivery log. */
export default function NotificationsPage() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<NotificationRule | 'new'>();
  const [logOf, setLogOf] = useState<string>();
  const rules = useApiQuery('listNotificationRules');
  const changed = { invalidates: ['listNotificationRules', 'listNotificationDeliveries'] } as const;
  const update = useApiMutation('updateNotificationRule', changed);
  const test = useApiMutation('testNotificationRule', changed);
  const remove = useApiMutation('deleteNotificationRule', changed);

  return (
    <main id="main" className="page">
      <h1>{t('notifications.title')}</h1>
      <p className="muted">{t('notifications.intro')}</p>
      {editing ? (
        <RuleForm rule={editing === 'new' ? undefined : editing} onDone={() => setEditing(undefined)} />
      ) : (
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          {t('notifications.newRule')}
        </button>
      )}
      <ErrorBanner error={rules.error ?? update.error ?? test.error ?? remove.error} />
      <Table
        rows={rules.data?.items ?? []}
        rowKey={(r) => r.id}
        columns={[
          { header: t('notifications.name'), cell: (r) => r.name },
          { header: t('admin.eventTypes'), cell: (r) => r.eventTypes.map((e) => t(`events.type.${e}`)).join(', ') },
          {
            header: t('notifications.channels'),
            className: 'break',
            cell: (r) =>
              [
                r.targets.email && `${t('notifications.email')}: ${r.targets.email}`,
                r.targets.telegramChatId && `Telegram: ${r.targets.telegramChatId}`,
              ]
                .filter(Boolean)
                .join(' · '),
          },
          {
            header: t('notifications.quietHours'),
            cell: (r) =>
              r.quietHours
                ? `${r.quietHours.start}–${r.quietHours.end} (${t(`notifications.mode.${r.quietHours.mode}`)}) · ${r.timeZone}`
                : '—',
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
                <ActionButton onAct={() => test.mutate({ params: { id: r.id } }, { onSuccess: () => setLogOf(r.id) })}>
                  {t('admin.sendTest')}
                </ActionButton>
                <button type="button" onClick={() => setLogOf(r.id)}>
                  {t('notifications.log')}
                </button>
                <ActionButton
                  className="danger"
                  confirm={t('notifications.confirmDelete', { name: r.name })}
                  onAct={() => remove.mutate({ params: { id: r.id } })}
                >
                  {t('common.delete')}
                </ActionButton>
              </>
            ),
          },
        ]}
      />
      {rules.isSuccess && rules.data.items.length === 0 && <p className="muted">{t('notifications.none')}</p>}
      <DeliveryLog ruleId={logOf} onAll={() => setLogOf(undefined)} />
    </main>
  );
}

function DeliveryLog({ ruleId, onAll }: { ruleId?: string; onAll: () => void }) {
  const { t } = useTranslation();
  const deliveries = useApiQuery('listNotificationDeliveries', { query: ruleId ? { ruleId } : {} });
  const items = deliveries.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="notification-log-title">
      <h2 id="notification-log-title">{t('notifications.log')}</h2>
      {ruleId && (
        <button type="button" onClick={onAll}>
          {t('notifications.allRules')}
        </button>
      )}
      <ErrorBanner error={deliveries.error} />
      <ul className="plain-list">
        {items.map((d) => (
          <li key={d.id}>
            {fmt.dateTime(d.createdAt)} · {d.ruleName} ·{' '}
            {d.eventType === 'test'
              ? t('notifications.test')
              : t(`events.type.${d.eventType}`, { defaultValue: d.eventType })}{' '}
            · {d.channel === 'email' ? t('notifications.email') : 'Telegram'} · {t(`notifications.status.${d.status}`)}{' '}
            · {t('admin.attempts', { count: d.attempts })}
            {d.status === 'pending' && d.nextAttemptAt && (
              <span className="muted"> · {t('notifications.nextAt', { when: fmt.dateTime(d.nextAttemptAt) })}</span>
            )}
            {d.lastError && <span className="muted"> · {d.lastError}</span>}
          </li>
        ))}
        {deliveries.isSuccess && items.length === 0 && <li className="muted">—</li>}
      </ul>
    </section>
  );
}

function RuleForm({ rule, onDone }: { rule?: NotificationRule; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const [d, setD] = useState<Draft>(() => (rule ? draftOf(rule) : emptyDraft(i18n.language)));
  const [errors, setErrors] = useState<DraftErrors>({});
  const vehicles = useApiQuery('listVehicles', { query: { limit: 500 } });
  const options = { invalidates: ['listNotificationRules'] as const, onSuccess: onDone };
  const create = useApiMutation('createNotificationRule', options);
  const update = useApiMutation('updateNotificationRule', options);
  const base = useId();
  const set = (patch: Partial<Draft>) => setD((old) => ({ ...old, ...patch }));
  const toggle = <T,>(list: T[], item: T, on: boolean) => (on ? [...list, item] : list.filter((x) => x !== item));

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateNotificationRule(d);
    setErrors(found);
    if (Object.keys(found).length) return;
    if (rule) update.mutate({ params: { id: rule.id }, body: bodyOf(d) });
    else create.mutate({ body: bodyOf(d) });
  }
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`}>{rule ? t('notifications.editRule') : t('notifications.newRule')}</h2>
      <Field
        label={t('notifications.name')}
        value={d.name}
        error={errors.name}
        onChange={(e) => set({ name: e.target.value })}
      />
      <Field
        label={t('notifications.email')}
        type="email"
        value={d.email}
        placeholder="name@example.com"
        error={errors.email}
        onChange={(e) => set({ email: e.target.value })}
      />
      <Field
        label={t('notifications.telegramChatId')}
        value={d.telegramChatId}
        placeholder="-1001234567890"
        error={errors.telegramChatId}
        onChange={(e) => set({ telegramChatId: e.target.value })}
      />
      <SelectField
        label={t('common.language')}
        value={d.language}
        onChange={(e) => set({ language: e.target.value === 'es' ? 'es' : 'en' })}
      >
        <option value="en">English</option>
        <option value="es">Español</option>
      </SelectField>
      <Field
        label={t('notifications.timeZone')}
        value={d.timeZone}
        placeholder="Europe/Madrid"
        error={errors.timeZone}
        onChange={(e) => set({ timeZone: e.target.value })}
      />
      <fieldset className="wide">
        <legend>{t('admin.eventTypes')}</legend>
        {EventType.options.map((type) => (
          <span key={type} className="check">
            <input
              id={`${base}-${type}`}
              type="checkbox"
              checked={d.eventTypes.includes(type)}
              onChange={(e) => set({ eventTypes: toggle(d.eventTypes, type, e.target.checked) })}
            />
            <label htmlFor={`${base}-${type}`}>{t(`events.type.${type}`)}</label>
          </span>
        ))}
        {errors.eventTypes && <span className="field-error">{t(errors.eventTypes)}</span>}
      </fieldset>
      <fieldset className="wide">
        <legend>{t('notifications.vehiclesHint')}</legend>
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
      </fieldset>
      <GroupChecks legend={t('notifications.groups')} value={d.groupIds} onChange={(groupIds) => set({ groupIds })} />
      <fieldset className="wide">
        <legend>{t('notifications.quietHours')}</legend>
        <span className="check">
          <input
            id={`${base}-quiet`}
            type="checkbox"
            checked={d.quiet}
            onChange={(e) => set({ quiet: e.target.checked })}
          />
          <label htmlFor={`${base}-quiet`}>{t('notifications.quietOn')}</label>
        </span>
        {d.quiet && (
          <>
            <Field
              label={t('notifications.from')}
              value={d.quietStart}
              placeholder="22:00"
              error={errors.quietStart}
              onChange={(e) => set({ quietStart: e.target.value })}
            />
            <Field
              label={t('notifications.to')}
              value={d.quietEnd}
              placeholder="07:00"
              error={errors.quietEnd}
              onChange={(e) => set({ quietEnd: e.target.value })}
            />
            <SelectField
              label={t('notifications.during')}
              value={d.quietMode}
              onChange={(e) => set({ quietMode: e.target.value === 'skip' ? 'skip' : 'defer' })}
            >
              <option value="defer">{t('notifications.mode.defer')}</option>
              <option value="skip">{t('notifications.mode.skip')}</option>
            </SelectField>
          </>
        )}
      </fieldset>
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
