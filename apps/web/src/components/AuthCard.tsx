import type { FormEvent, ReactNode } from 'react';
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
