import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from './Field';
import { LanguageSwitch } from './LanguageSwitch';

/** The signed-out screens' card (sign-in, accepting an invitation): a title, the language, a form. */
export function AuthCard({
  title,
  onSubmit,
  describedBy,
  children,
}: {
  title: string;
  onSubmit: (e: FormEvent) => void;
  describedBy?: string;
  children: ReactNode;
}) {
  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={onSubmit} noValidate aria-describedby={describedBy}>
        <div className="login-head">
          <h1>{title}</h1>
          <LanguageSwitch />
        </div>
        {children}
      </form>
    </main>
  );
}

/** The password of the signed-out screens: the one to sign in with, or a new one to choose. */
export function PasswordField({
  value,
  onChange,
  error,
  isNew = false,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string;
  isNew?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Field
      label={t('login.password')}
      type="password"
      autoComplete={isNew ? 'new-password' : 'current-password'}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      required
    />
  );
}
