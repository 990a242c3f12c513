import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** A card that shows what the server gives once (secrets, links) until the user says Done. */
export function SecretCard({
  title,
  onDone,
  children,
  testId,
}: {
  title?: ReactNode;
  onDone: () => void;
  children: ReactNode;
  testId?: string;
}) {
  const { t } = useTranslation();
  return (
    <div className="card" data-testid={testId}>
      {title && <h3>{title}</h3>}
      {children}
      <button type="button" onClick={onDone}>
        {t('common.done')}
      </button>
    </div>
  );
}
