import { ApiClient, ApiError } from '@fleet/api-client';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { LanguageSwitch } from '../components/LanguageSwitch';

/** The invitee's side of an invitation link: choose a password, then sign in. */
export default function AcceptInvitationPage() {
  const { t } = useTranslation();
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const ids = { name: useId(), password: useId() };

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password.length < 10) return setError(t('invitation.passwordTooShort'));
    try {
      await new ApiClient({ baseUrl: '' }).request(z.unknown(), '/api/v1/auth/accept-invitation', {
        method: 'POST',
        body: { token, password, ...(name.trim() && { name: name.trim() }) },
      });
      setDone(true);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 404 ? t('invitation.invalid') : String((err as Error).message),
      );
    }
  }

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={submit} noValidate>
        <div className="login-head">
          <h1>{t('invitation.title')}</h1>
          <LanguageSwitch />
        </div>
        {done ? (
          <p role="status">
            {t('invitation.done')} <a href="/">{t('login.submit')}</a>
          </p>
        ) : (
          <>
            <div className="field">
              <label htmlFor={ids.name}>{t('admin.name')}</label>
              <input id={ids.name} value={name} autoComplete="name" onChange={(e) => setName(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={ids.password}>{t('login.password')}</label>
              <input
                id={ids.password}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                aria-invalid={error ? true : undefined}
              />
            </div>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary">
              {t('invitation.submit')}
            </button>
          </>
        )}
      </form>
    </main>
  );
}
