import { QRCodeSVG } from 'qrcode.react';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton } from '../../components/ActionButton';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { fmt } from '../../i18n';
import { useLive, useVehicleOrder } from '../../live/context';
import { SecretCard } from '../../components/SecretCard';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';

const DURATIONS = [1, 4, 24, 72, 168] as const;

/** The public page of a share link (served by this app at /shared/:token). */
export const shareUrl = (token: string, origin = window.location.origin) =>
  `${origin}/shared/${encodeURIComponent(token)}`;

export function ShareLinksAdmin() {
  const { t } = useTranslation();
  const { store } = useLive();
  const ids = useVehicleOrder(store);
  const [chosen, setChosen] = useState<string>();
  const [hours, setHours] = useState<number>(24);
  const [created, setCreated] = useState<string>();
  const base = useId();
  // The first vehicle until one is chosen.
  const vehicleId = chosen ?? ids[0] ?? '';
  const links = useApiQuery('listShareLinks', { params: { id: vehicleId } }, { enabled: vehicleId !== '' });
  const create = useApiMutation('createShareLink', {
    invalidates: ['listShareLinks'],
    onSuccess: (link) => setCreated(shareUrl(link.token)),
  });
  const revoke = useApiMutation('deleteShareLink', { invalidates: ['listShareLinks'] });
  const items = links.data?.items ?? [];

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ params: { id: vehicleId }, body: { expiresInMinutes: hours * 60 } });
  }

  return (
    <section aria-labelledby="share-title">
      <h2 id="share-title">{t('admin.shareLinks')}</h2>
      <p className="muted">{t('admin.shareIntro')}</p>
      <form className="card form-grid" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${base}-vehicle`}>{t('period.vehicle')}</label>
          <select id={`${base}-vehicle`} value={vehicleId} onChange={(e) => setChosen(e.target.value)}>
            {ids.map((id) => (
              <option key={id} value={id}>
                {store.name(id)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${base}-hours`}>{t('admin.expiresIn')}</label>
          <select id={`${base}-hours`} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {DURATIONS.map((h) => (
              <option key={h} value={h}>
                {t('admin.hours', { count: h })}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary" disabled={!vehicleId || create.isPending}>
          {t('admin.createLink')}
        </button>
      </form>
      {created && (
        <SecretCard onDone={() => setCreated(undefined)}>
          <OneTimeSecret label={t('admin.shareLink')} value={created} />
          <figure className="qr">
            <QRCodeSVG value={created} size={180} marginSize={2} title={t('admin.shareLink')} />
          </figure>
        </SecretCard>
      )}
      <ErrorBanner error={links.error ?? create.error ?? revoke.error} />
      <ul className="plain-list">
        {items.map((link) => {
          const revoked = link.status === 'revoked';
          const expired = link.status === 'expired';
          return (
            <li key={link.id} className="row">
              <span>
                {t('admin.createdAt', { when: fmt.dateTime(link.createdAt) })} ·{' '}
                {revoked
                  ? t('admin.revoked')
                  : expired
                    ? t('admin.expired')
                    : t('admin.expiresAt', { when: fmt.dateTime(link.expiresAt) })}
              </span>
              {!revoked && !expired && (
                <ActionButton
                  className="danger"
                  confirm={t('admin.confirmRevoke')}
                  onAct={() => revoke.mutate({ params: { id: link.id } })}
                >
                  {t('admin.revoke')}
                </ActionButton>
              )}
            </li>
          );
        })}
        {!links.isLoading && items.length === 0 && <li className="muted">{t('admin.noLinks')}</li>}
      </ul>
    </section>
  );
}
