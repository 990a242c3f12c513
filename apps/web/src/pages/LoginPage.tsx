import { ApiError } from '@fleet/api-client';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useSession } from '../session/context';
import { validateLogin, type FieldErrors } from './forms';

export function LoginPage({ expired }: { expired?: boolean }) {
  const { t } = useTranslation();
  const session = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors<'email' | 'password'>>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ids = { email: useId(), password: useId(), error: useId() };

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
      else setFailure(t('common.failed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={submit} noValidate aria-describedby={failure ? ids.error : undefined}>
        <div className="login-head">
          <h1>{t('app.name')}</h1>
          <LanguageSwitch />
        </div>
        <p>{t('login.intro')}</p>
        {expired && <p className="notice">{t('login.expired')}</p>}
        <div className="field">
          <label htmlFor={ids.email}>{t('login.email')}</label>
          <input
            id={ids.email}
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={errors.email ? `${ids.email}-err` : undefined}
            required
          />
          {errors.email && (
            <span className="field-error" id={`${ids.email}-err`}>
              {t(errors.email)}
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor={ids.password}>{t('login.password')}</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={errors.password ? `${ids.password}-err` : undefined}
            required
          />
          {errors.password && (
            <span className="field-error" id={`${ids.password}-err`}>
              {t(errors.password)}
            </span>
          )}
        </div>
        {failure && (
          <p className="form-error" role="alert" id={ids.error}>
            {failure}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('login.signingIn') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}
