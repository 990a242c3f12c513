import type { ShareLink } from '@fleet/contracts';
import { QRCodeSVG } from 'qrcode.react';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { fmt } from '../../i18n';
import { useLive, useVehicleOrder } from '../../live/context';
import { useApi } from '../../session/context';

const DURATIONS = [1, 4, 24, 72, 168] as const;

/** The public page of a share link (served by this app at /shared/:token). */
export const shareUrl = (token: string, origin = window.location.origin) =>
  `${origin}/shared/${encodeURIComponent(token)}`;

export function ShareLinksAdmin() {
  const { t } = useTranslation();
  const api = useApi();
  const { store } = useLive();
  const ids = useVehicleOrder(store);
  const [vehicleId, setVehicleId] = useState('');
  const [hours, setHours] = useState<number>(24);
  const [links, setLinks] = useState<ShareLink[]>([]);
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<string>();
  const base = useId();

  useEffect(() => {
    if (!vehicleId && ids.length) setVehicleId(ids[0]);
  }, [vehicleId, ids]);

  const reload = useCallback(async () => {
    if (!vehicleId) return;
    try {
      setLinks((await api.shareLinks(vehicleId)).items);
      setError(undefined);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [api, vehicleId]);
  useEffect(() => void reload(), [reload]);

  async function create(e: FormEvent) {
    e.preventDefault();
    try {
      const link = await api.createShareLink(vehicleId, { expiresInMinutes: hours * 60 });
      setCreated(shareUrl(link.token));
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  async function revoke(link: ShareLink) {
    if (!window.confirm(t('admin.confirmRevoke'))) return;
    try {
      await api.revokeShareLink(link.id);
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section aria-labelledby="share-title">
      <h2 id="share-title">{t('admin.shareLinks')}</h2>
      <p className="muted">{t('admin.shareIntro')}</p>
      <form className="card form-grid" onSubmit={create}>
        <div className="field">
          <label htmlFor={`${base}-vehicle`}>{t('period.vehicle')}</label>
          <select id={`${base}-vehicle`} value={vehicleId} onChange={(e) => setVehicleId(e.target.value)}>
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
        <button type="submit" className="primary" disabled={!vehicleId}>
          {t('admin.createLink')}
        </button>
      </form>
      {created && (
        <div className="card">
          <OneTimeSecret label={t('admin.shareLink')} value={created} />
          <figure className="qr">
            <QRCodeSVG value={created} size={180} marginSize={2} title={t('admin.shareLink')} />
          </figure>
          <button type="button" onClick={() => setCreated(undefined)}>
            {t('common.done')}
          </button>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: error })}
        </p>
      )}
      <ul className="plain-list">
        {links.map((link) => {
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
                <button type="button" className="danger" onClick={() => void revoke(link)}>
                  {t('admin.revoke')}
                </button>
              )}
            </li>
          );
        })}
        {links.length === 0 && <li className="muted">{t('admin.noLinks')}</li>}
      </ul>
    </section>
  );
}
