import { EventType, type Webhook } from '@fleet/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { Field } from '../../components/Field';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { SecretCard } from '../../components/SecretCard';
import { Table } from '../../components/Table';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';
import { fmt } from '../../i18n';
import { validateWebhook, type FieldErrors } from '../forms';

export function WebhooksAdmin() {
  const { t } = useTranslation();
  const [secret, setSecret] = useState<{ url: string; secret: string }>();
  const [deliveriesOf, setDeliveriesOf] = useState<string>();
  // At most MAX_WEBHOOKS_PER_ORGANIZATION: one page holds them all.
  const webhooks = useApiQuery('listWebhooks');
  const changed = { invalidates: ['listWebhooks', 'listWebhookDeliveries'] } as const;
  const update = useApiMutation('updateWebhook', changed);
  const rotate = useApiMutation('rotateWebhookSecret', {
    ...changed,
    onSuccess: (answer) => setSecret({ url: answer.webhook.url, secret: answer.secret }),
  });
  const test = useApiMutation('testWebhook', changed);
  const remove = useApiMutation('deleteWebhook', changed);

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">{t('admin.webhooks')}</h2>
      <p className="muted">{t('admin.webhooksIntro')}</p>
      <WebhookForm onCreated={(w, s) => setSecret({ url: w.url, secret: s })} />
      {secret && (
        <SecretCard title={secret.url} onDone={() => setSecret(undefined)}>
          <OneTimeSecret label={t('admin.signingSecret')} value={secret.secret} />
        </SecretCard>
      )}
      <ErrorBanner error={webhooks.error ?? update.error ?? rotate.error ?? test.error ?? remove.error} />
      <Table
        rows={webhooks.data?.items ?? []}
        rowKey={(w) => w.id}
        columns={[
          { header: 'URL', className: 'break', cell: (w) => w.url },
          {
            header: t('admin.eventTypes'),
            cell: (w) =>
              w.eventTypes.length ? w.eventTypes.map((e) => t(`events.type.${e}`)).join(', ') : t('common.all'),
          },
          { header: t('admin.state'), cell: (w) => (w.enabled ? t('admin.enabled') : t('admin.disabled')) },
          { header: t('admin.lastDelivery'), cell: (w) => <LastDelivery webhook={w} /> },
          {
            header: null,
            className: 'actions',
            cell: (w) => (
              <>
                <ActionButton onAct={() => update.mutate({ params: { id: w.id }, body: { enabled: !w.enabled } })}>
                  {w.enabled ? t('admin.disable') : t('admin.enable')}
                </ActionButton>
                <ActionButton onAct={() => rotate.mutate({ params: { id: w.id } })}>
                  {t('admin.rotateSecret')}
                </ActionButton>
                <ActionButton
                  onAct={() => test.mutate({ params: { id: w.id } }, { onSuccess: () => setDeliveriesOf(w.id) })}
                >
                  {t('admin.sendTest')}
                </ActionButton>
                <button type="button" onClick={() => setDeliveriesOf(w.id)}>
                  {t('admin.deliveries')}
                </button>
                <ActionButton
                  className="danger"
                  confirm={t('admin.confirmDeleteWebhook', { url: w.url })}
                  onAct={() => remove.mutate({ params: { id: w.id } })}
                >
                  {t('common.delete')}
                </ActionButton>
              </>
            ),
          },
        ]}
      />
      {deliveriesOf && <Deliveries webhookId={deliveriesOf} onClose={() => setDeliveriesOf(undefined)} />}
    </section>
  );
}

function LastDelivery({ webhook: w }: { webhook: Webhook }) {
  const { t } = useTranslation();
  return (
    <>
      {w.lastAttemptAt ? `${fmt.dateTime(w.lastAttemptAt)} · ${w.lastStatus ?? w.lastError ?? '—'}` : '—'}
      {w.consecutiveFailures > 0 && (
        <span className="badge badge--overspeed"> {t('admin.failures', { count: w.consecutiveFailures })}</span>
      )}
      {w.pendingDeliveries > 0 && (
        <span className="muted small"> {t('admin.pending', { count: w.pendingDeliveries })}</span>
      )}
    </>
  );
}

function Deliveries({ webhookId, onClose }: { webhookId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const deliveries = useApiQuery('listWebhookDeliveries', { params: { id: webhookId } });
  const items = deliveries.data?.items ?? [];
  return (
    <div className="card">
      <h3>{t('admin.deliveries')}</h3>
      <ErrorBanner error={deliveries.error} />
      <ul className="plain-list">
        {items.map((d) => (
          <li key={d.id}>
            {fmt.dateTime(d.createdAt)} · {t(`events.type.${d.eventType}`, { defaultValue: d.eventType })} · {d.status}{' '}
            · {t('admin.attempts', { count: d.attempts })}
            {d.lastError && <span className="muted"> · {d.lastError}</span>}
          </li>
        ))}
        {deliveries.isSuccess && items.length === 0 && <li className="muted">—</li>}
      </ul>
      <button type="button" onClick={onClose}>
        {t('common.close')}
      </button>
    </div>
  );
}

function WebhookForm({ onCreated }: { onCreated: (webhook: Webhook, secret: string) => void }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<EventType[]>([]);
  const [errors, setErrors] = useState<FieldErrors<'url' | 'eventTypes'>>({});
  const create = useApiMutation('createWebhook', {
    invalidates: ['listWebhooks'],
    onSuccess: (answer) => {
      onCreated(answer.webhook, answer.secret);
      setUrl('');
      setTypes([]);
    },
  });
  const base = useId();
  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateWebhook({ url, eventTypes: types });
    setErrors(found);
    if (Object.keys(found).length) return;
    create.mutate({ body: { url: url.trim(), eventTypes: types, enabled: true } });
  }
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{t('admin.newWebhook')}</h3>
      <Field
        label="URL"
        wrapperClassName="wide"
        type="url"
        value={url}
        placeholder="https://example.com/fleet-events"
        error={errors.url}
        onChange={(e) => setUrl(e.target.value)}
      />
      <fieldset className="wide">
        <legend>{t('admin.eventTypesHint')}</legend>
        {EventType.options.map((type) => (
          <span key={type} className="check">
            <input
              id={`${base}-${type}`}
              type="checkbox"
              checked={types.includes(type)}
              onChange={(e) => setTypes(e.target.checked ? [...types, type] : types.filter((x) => x !== type))}
            />
            <label htmlFor={`${base}-${type}`}>{t(`events.type.${type}`)}</label>
          </span>
        ))}
      </fieldset>
      <SubmitRow error={create.error} busy={create.isPending} label={t('common.create')} />
    </form>
  );
}
