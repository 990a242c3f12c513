import { useTranslation } from 'react-i18next';
import { errorMessage } from './errors';

/**
 * The one way a page shows a failed read or write: nothing while `error` is empty, else an alert
 * ("Something went wrong: …" unless `plain`, which shows the message alone, e.g. a refused sign-in).
 */
export function ErrorBanner({ error, plain = false, id }: { error: unknown; plain?: boolean; id?: string }) {
  const { t } = useTranslation();
  if (error === undefined || error === null || error === '') return null;
  const message = errorMessage(error);
  return (
    <p className="form-error" role="alert" id={id}>
      {plain ? message : t('common.failed', { message })}
    </p>
  );
}
