import { ApiError } from '@fleet/api-client';
import { AcceptInvitationRequest } from '@fleet/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { AuthCard, PasswordField } from '../components/AuthCard';
import { Field } from '../components/Field';
import { ErrorBanner } from '../data/ErrorBanner';
import { useApi } from '../session/context';

/** The invitee's side of an invitation link: choose a password, then sign in. */
export default function AcceptInvitationPage() {
  const { t } = useTranslation();
  const api = useApi();
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [passwordError, setPasswordError] = useState<string>();
  const accept = useMutation({
    mutationFn: () => api.acceptInvitation({ body: { token, password, ...(name.trim() && { name: name.trim() }) } }),
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    const checked = AcceptInvitationRequest.shape.password.safeParse(password);
    setPasswordError(checked.success ? undefined : 'invitation.passwordTooShort');
    if (checked.success) accept.mutate();
  }

  const invalid = accept.error instanceof ApiError && accept.error.status === 404;
  return (
    <AuthCard title={t('invitation.title')} onSubmit={submit}>
      {accept.isSuccess ? (
        <p role="status">
          {t('invitation.done')} <a href="/">{t('login.submit')}</a>
        </p>
      ) : (
        <>
          <Field label={t('admin.name')} value={name} autoComplete="name" onChange={(e) => setName(e.target.value)} />
          <PasswordField value={password} onChange={setPassword} error={passwordError} isNew />
          <ErrorBanner error={invalid ? t('invitation.invalid') : accept.error} plain />
          <button type="submit" className="primary" disabled={accept.isPending}>
            {t('invitation.submit')}
          </button>
        </>
      )}
    </AuthCard>
  );
}
