import { ApiError } from '@fleet/api-client';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { AuthCard, PasswordField } from '../components/AuthCard';
import { Field } from '../components/Field';
import { ErrorBanner } from '../data/ErrorBanner';
import { useSession } from '../session/context';
import { validateLogin, type FieldErrors } from './forms';

export function LoginPage({ expired }: { expired?: boolean }) {
  const { t } = useTranslation();
  const session = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors<'email' | 'password'>>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const errorId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateLogin({ email, password });
    setErrors(found);
    setFailure(undefined);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await session.login(email.trim(), password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setFailure(t('login.wrong'));
      else if (err instanceof ApiError && err.status === 429) setFailure(t('login.tooMany'));
      else setFailure(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title={t('app.name')} onSubmit={submit} describedBy={failure ? errorId : undefined}>
      <p>{t('login.intro')}</p>
      {expired && <p className="notice">{t('login.expired')}</p>}
      <Field
        label={t('login.email')}
        type="email"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={errors.email}
        required
      />
      <PasswordField value={password} onChange={setPassword} error={errors.password} />
      {/* The refusals already say what happened; anything else is "Something went wrong: …". */}
      <ErrorBanner id={errorId} error={failure} plain={typeof failure === 'string'} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('login.signingIn') : t('login.submit')}
      </button>
    </AuthCard>
  );
}
