import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** A secret the server shows once (device token, webhook secret, invitation): visible, copyable, with a warning. */
export function OneTimeSecret({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="group" aria-label={label}>
      <div className="secret-label">{label}</div>
      <code data-testid={testId}>{value}</code>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? t('common.copied') : t('common.copy')}
      </button>
      <p className="notice small">{t('admin.shownOnce')}</p>
    </div>
  );
}
