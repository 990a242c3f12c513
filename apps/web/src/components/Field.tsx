import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';

interface FieldProps {
  label: ReactNode;
  /** The i18n key of the field's validation message, if any. */
  error?: string;
  /** Extra class of the wrapper (`wide`). */
  wrapperClassName?: string;
}

/** The wrapper every form field shares: its label, the control, and the message tied to the control. */
function useFieldIds(id: string | undefined, error: string | undefined) {
  const auto = useId();
  const controlId = id ?? auto;
  const errorId = `${controlId}-err`;
  return {
    controlId,
    errorId,
    aria: { 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? errorId : undefined },
  };
}

function FieldFrame(props: FieldProps & { controlId: string; errorId: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className={props.wrapperClassName ? `field ${props.wrapperClassName}` : 'field'}>
      <label htmlFor={props.controlId}>{props.label}</label>
      {props.children}
      {props.error && (
        <span className="field-error" id={props.errorId}>
          {t(props.error)}
        </span>
      )}
    </div>
  );
}

/** A labelled input whose validation message is announced with it (`aria-describedby`). */
export function Field({
  label,
  error,
  wrapperClassName,
  id,
  ...input
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const { controlId, errorId, aria } = useFieldIds(id, error);
  return (
    <FieldFrame label={label} error={error} wrapperClassName={wrapperClassName} controlId={controlId} errorId={errorId}>
      <input id={controlId} {...aria} {...input} />
    </FieldFrame>
  );
}

/** A labelled select, like Field. */
export function SelectField({
  label,
  error,
  wrapperClassName,
  id,
  children,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const { controlId, errorId, aria } = useFieldIds(id, error);
  return (
    <FieldFrame label={label} error={error} wrapperClassName={wrapperClassName} controlId={controlId} errorId={errorId}>
      <select id={controlId} {...aria} {...select}>
        {children}
      </select>
    </FieldFrame>
  );
}
