import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';

/**
 * Whether the OsmAnd port (Traccar Client) also requires each vehicle's device token, not only its
 * identifier. Turning it on refuses every device set up without the token, so it asks first.
 */
export function OsmAndTokenSetting() {
  const { t } = useTranslation();
  const base = useId();
  const organization = useApiQuery('getOrganization');
  const update = useApiMutation('updateOrganization', { invalidates: ['getOrganization'] });

  if (organization.error) return <ErrorBanner error={organization.error} />;
  if (!organization.data) return <p role="status">{t('common.loading')}</p>;
  const required = organization.data.osmandTokenRequired;

  function toggle(next: boolean) {
    if (next && !window.confirm(t('osmandToken.confirmOn'))) return;
    update.mutate({ body: { osmandTokenRequired: next } });
  }

  return (
    <section className="card" aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{t('osmandToken.title')}</h3>
      <p className="muted" id={`${base}-intro`}>
        {t('osmandToken.intro')}
      </p>
      <span className="check">
        <input
          id={`${base}-required`}
          type="checkbox"
          checked={required}
          disabled={update.isPending}
          aria-describedby={`${base}-intro ${base}-warning`}
          onChange={(e) => toggle(e.target.checked)}
        />
        <label htmlFor={`${base}-required`}>{t('osmandToken.label')}</label>
      </span>
      <p className="notice" id={`${base}-warning`}>
        {required ? t('osmandToken.warningOn') : t('osmandToken.warningOff')}
      </p>
      <ErrorBanner error={update.error} />
    </section>
  );
}
