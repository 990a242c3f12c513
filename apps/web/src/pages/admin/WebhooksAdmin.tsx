import { EventType, type Webhook, type WebhookDelivery } from '@fleet/contracts';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { fmt } from '../../i18n';
import { useApi } from '../../session/context';
import { validateWebhook, type FieldErrors } from '../forms';

export function WebhooksAdmin() {
  const { t } = useTranslation();
  const api = useApi();
  const [items, setItems] = useState<Webhook[]>([]);
  const [error, setError] = useState<string>();
  const [secret, setSecret] = useState<{ url: string; secret: string }>();
  const [deliveries, setDeliveries] = useState<{ id: string; items: WebhookDelivery[] }>();

  const reload = useCallback(async () => {
    try {
      setItems((await api.webhooks()).items);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [api]);
  useEffect(() => void reload(), [reload]);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">{t('admin.webhooks')}</h2>
      <p className="muted">{t('admin.webhooksIntro')}</p>
      <WebhookForm
        onCreated={(w, s) => {
          setSecret({ url: w.url, secret: s });
          void reload();
        }}
      />
      {secret && (
        <div className="card">
          <h3>{secret.url}</h3>
          <OneTimeSecret label={t('admin.signingSecret')} value={secret.secret} />
          <button type="button" onClick={() => setSecret(undefined)}>
            {t('common.done')}
          </button>
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
              <th scope="col">URL</th>
              <th scope="col">{t('admin.eventTypes')}</th>
              <th scope="col">{t('admin.state')}</th>
              <th scope="col">{t('admin.lastDelivery')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('admin.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((w) => (
              <tr key={w.id}>
                <td className="break">{w.url}</td>
                <td>
                  {w.eventTypes.length ? w.eventTypes.map((e) => t(`events.type.${e}`)).join(', ') : t('common.all')}
                </td>
                <td>{w.enabled ? t('admin.enabled') : t('admin.disabled')}</td>
                <td>
                  {w.lastAttemptAt ? `${fmt.dateTime(w.lastAttemptAt)} · ${w.lastStatus ?? w.lastError ?? '—'}` : '—'}
                  {w.consecutiveFailures > 0 && (
                    <span className="badge badge--overspeed">
                      {' '}
                      {t('admin.failures', { count: w.consecutiveFailures })}
                    </span>
                  )}
                  {w.pendingDeliveries > 0 && (
                    <span className="muted small"> {t('admin.pending', { count: w.pendingDeliveries })}</span>
                  )}
                </td>
                <td className="actions">
                  <button
                    type="button"
                    onClick={() => void act(() => api.updateWebhook(w.id, { enabled: !w.enabled }))}
                  >
                    {w.enabled ? t('admin.disable') : t('admin.enable')}
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      void act(async () => {
                        const answer = await api.rotateWebhookSecret(w.id);
                        setSecret({ url: w.url, secret: answer.secret });
                      })
                    }
                  >
                    {t('admin.rotateSecret')}
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      void act(async () => {
                        await api.testWebhook(w.id);
                        const page = await api.webhookDeliveries(w.id);
                        setDeliveries({ id: w.id, items: page.items });
                      })
                    }
                  >
                    {t('admin.sendTest')}
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      void api.webhookDeliveries(w.id).then(
                        (page) => setDeliveries({ id: w.id, items: page.items }),
                        (err: unknown) => setError(String(err)),
                      )
                    }
                  >
                    {t('admin.deliveries')}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() =>
                      window.confirm(t('admin.confirmDeleteWebhook', { url: w.url })) &&
                      void act(() => api.deleteWebhook(w.id))
                    }
                  >
                    {t('common.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {deliveries && (
        <div className="card">
          <h3>{t('admin.deliveries')}</h3>
          <ul className="plain-list">
            {deliveries.items.map((d) => (
              <li key={d.id}>
                {fmt.dateTime(d.createdAt)} · {t(`events.type.${d.eventType}`, { defaultValue: d.eventType })} ·{' '}
                {d.status} · {t('admin.attempts', { count: d.attempts })}
                {d.lastError && <span className="muted"> · {d.lastError}</span>}
              </li>
            ))}
            {deliveries.items.length === 0 && <li className="muted">—</li>}
          </ul>
          <button type="button" onClick={() => setDeliveries(undefined)}>
            {t('common.close')}
          </button>
        </div>
      )}
    </section>
  );
}

function WebhookForm({ onCreated }: { onCreated: (webhook: Webhook, secret: string) => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [errors, setErrors] = useState<FieldErrors<'url' | 'eventTypes'>>({});
  const [failure, setFailure] = useState<string>();
  const base = useId();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateWebhook({ url, eventTypes: types });
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      const answer = await api.createWebhook({ url: url.trim(), eventTypes: types as EventType[], enabled: true });
      onCreated(answer.webhook, answer.secret);
      setUrl('');
      setTypes([]);
      setFailure(undefined);
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{t('admin.newWebhook')}</h3>
      <div className="field wide">
        <label htmlFor={`${base}-url`}>URL</label>
        <input
          id={`${base}-url`}
          type="url"
          value={url}
          placeholder="https://example.com/fleet-events"
          onChange={(e) => setUrl(e.target.value)}
          aria-invalid={errors.url ? true : undefined}
          aria-describedby={errors.url ? `${base}-url-err` : undefined}
        />
        {errors.url && (
          <span className="field-error" id={`${base}-url-err`}>
            {t(errors.url)}
          </span>
        )}
      </div>
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
      {failure && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: failure })}
        </p>
      )}
      <button type="submit" className="primary">
        {t('common.create')}
      </button>
    </form>
  );
}
