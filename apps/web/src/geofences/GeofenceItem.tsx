import type { Geofence } from '@fleet/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { validateName } from '../pages/forms';

/**
 * One saved geofence in the list: shows it on the map, and for those who may edit, renames it,
 * reshapes it (save or cancel the new shape) or deletes it.
 */
export function GeofenceItem({
  geofence,
  editable,
  editing,
  onShow,
  onEdit,
  onFinish,
  onRename,
  onDelete,
}: {
  geofence: Geofence;
  editable: boolean;
  editing: boolean;
  onShow: () => void;
  onEdit: () => void;
  onFinish: (save: boolean) => void;
  onRename: (name: string) => Promise<string | undefined>;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(geofence.name);
  const [error, setError] = useState<string>();
  const id = useId();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const invalid = validateName(name);
    if (invalid) return setError(t(invalid));
    const failed = await onRename(name);
    setError(failed);
    if (!failed) setRenaming(false);
  }
  return (
    <li className="geofence-item">
      {renaming ? (
        <form onSubmit={submit} noValidate className="row">
          <label htmlFor={id} className="visually-hidden">
            {t('geofences.name')}
          </label>
          <input
            id={id}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
          />
          <button type="submit">{t('common.save')}</button>
          <button type="button" onClick={() => setRenaming(false)}>
            {t('common.cancel')}
          </button>
          {error && <span className="field-error">{error}</span>}
        </form>
      ) : (
        <button type="button" className="link-button" onClick={onShow}>
          <strong>{geofence.name}</strong>{' '}
          <span className="muted small">
            {geofence.kind === 'circle'
              ? t('geofences.circleOf', { radius: Math.round(geofence.radiusM ?? 0) })
              : t('geofences.polygon')}
          </span>
        </button>
      )}
      {editable && !renaming && (
        <div className="row small-buttons">
          {editing ? (
            <>
              <button type="button" className="primary" onClick={() => onFinish(true)}>
                {t('geofences.saveShape')}
              </button>
              <button type="button" onClick={() => onFinish(false)}>
                {t('common.cancel')}
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                onClick={() => setRenaming(true)}
                aria-label={t('geofences.renameX', { name: geofence.name })}
              >
                {t('geofences.rename')}
              </button>
              <button type="button" onClick={onEdit} aria-label={t('geofences.editX', { name: geofence.name })}>
                {t('geofences.editShape')}
              </button>
              <button
                type="button"
                className="danger"
                onClick={onDelete}
                aria-label={t('geofences.deleteX', { name: geofence.name })}
              >
                {t('common.delete')}
              </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}
