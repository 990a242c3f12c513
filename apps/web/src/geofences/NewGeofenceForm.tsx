import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { validateName } from '../pages/forms';

/** Names the shape just drawn; `onSave` answers why it could not be saved, if it could not. */
export function NewGeofenceForm({
  kind,
  onSave,
  onCancel,
}: {
  kind: 'polygon' | 'circle';
  onSave: (name: string) => Promise<string | undefined>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const invalid = validateName(name);
    if (invalid) return setError(t(invalid));
    setBusy(true);
    setError(await onSave(name));
    setBusy(false);
  }
  return (
    <form className="card" onSubmit={submit} noValidate data-testid="new-geofence">
      <h2>{t(kind === 'circle' ? 'geofences.newCircle' : 'geofences.newPolygon')}</h2>
      <div className="field">
        <label htmlFor={id}>{t('geofences.name')}</label>
        <input
          ref={input}
          id={id}
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-err` : undefined}
        />
        {error && (
          <span className="field-error" id={`${id}-err`} role="alert">
            {error}
          </span>
        )}
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
