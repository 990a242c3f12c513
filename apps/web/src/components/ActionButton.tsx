import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { ErrorBanner } from '../data/ErrorBanner';

/** A button for one write; with `confirm`, only once the user agrees to that question. */
export function ActionButton({
  confirm,
  onAct,
  ...button
}: { confirm?: string; onAct: () => void } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick' | 'type'>) {
  return <button type="button" {...button} onClick={() => (!confirm || window.confirm(confirm)) && onAct()} />;
}

/** The end of a form that writes: what the server refused, then the submit button (off while sending). */
export function SubmitRow({
  error,
  busy,
  label,
  children,
}: {
  error: unknown;
  busy: boolean;
  label: string;
  /** More buttons beside the submit one (Cancel). */
  children?: ReactNode;
}) {
  const submit = (
    <button type="submit" className="primary" disabled={busy}>
      {label}
    </button>
  );
  return (
    <>
      <ErrorBanner error={error} />
      {children ? (
        <div className="row">
          {submit}
          {children}
        </div>
      ) : (
        submit
      )}
    </>
  );
}
