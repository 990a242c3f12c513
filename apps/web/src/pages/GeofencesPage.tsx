import type { Geofence } from '@fleet/contracts';
import type L from 'leaflet';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useToast } from '../components/toasts';
import { useApiMutation } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { errorMessage } from '../data/errors';
import { GeofenceItem } from '../geofences/GeofenceItem';
import { NewGeofenceForm } from '../geofences/NewGeofenceForm';
import { useGeofences } from '../geofences/queries';
import { shapeInput } from '../geofences/shapes';
import { useGeofenceLayer, useGeoman } from '../geofences/useGeofenceLayer';
import { BaseMap } from '../map/BaseMap';
import { canEdit, useMe } from '../session/context';

/** Every write refreshes the cached list: this page's and the names the events show. */
const invalidates = ['listGeofences' as const];

export default function GeofencesPage() {
  const { t, i18n } = useTranslation();
  const editable = canEdit(useMe());
  const notify = useToast();
  const geofences = useGeofences();
  const geoman = useGeoman();
  const [map, setMap] = useState<L.Map>();
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<unknown>();
  const { layer, drawing, clearDrawing, toolbarReady } = useGeofenceLayer(map, {
    geofences: geofences.data,
    editable,
    language: i18n.language,
  });
  // The drawn shape leaves the map before the list is read again, so the map fits the saved ones.
  const create = useApiMutation('createGeofence', { invalidates, onSuccess: clearDrawing });
  const update = useApiMutation('updateGeofence', { invalidates });
  const remove = useApiMutation('deleteGeofence', { invalidates });

  async function saveNew(name: string): Promise<string | undefined> {
    const shape = layer?.drawnShape();
    if (!shape) return undefined;
    const input = shapeInput(name, shape);
    if ('error' in input) return t(input.error);
    try {
      const saved = await create.mutateAsync({ body: input });
      notify({ title: t('geofences.saved', { name: saved.name }), kind: 'success' });
      return undefined;
    } catch (err) {
      return t('common.failed', { message: errorMessage(err) });
    }
  }

  function startEdit(id: string) {
    if (layer?.startEdit(id)) setEditing(id);
  }

  async function finishEdit(g: Geofence, save: boolean) {
    const shape = layer?.finishEdit(g.id);
    setEditing(undefined);
    if (!shape || !save) {
      layer?.restore();
      return;
    }
    const input = shapeInput(g.name, shape);
    if ('error' in input) {
      setError(t(input.error));
      layer?.restore();
      return;
    }
    try {
      await update.mutateAsync({
        params: { id: g.id },
        body:
          input.kind === 'circle'
            ? { kind: 'circle', center: input.center, radiusM: input.radiusM }
            : { kind: 'polygon', polygon: input.polygon },
      });
      notify({ title: t('geofences.saved', { name: g.name }), kind: 'success' });
    } catch (err) {
      setError(err);
      layer?.restore();
    }
  }

  async function rename(g: Geofence, name: string): Promise<string | undefined> {
    try {
      await update.mutateAsync({ params: { id: g.id }, body: { name: name.trim() } });
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }

  async function deleteGeofence(g: Geofence) {
    if (!window.confirm(t('geofences.confirmDelete', { name: g.name }))) return;
    try {
      await remove.mutateAsync({ params: { id: g.id } });
      notify({ title: t('geofences.deleted', { name: g.name }) });
    } catch (err) {
      setError(err);
    }
  }

  const list = geofences.data ?? [];
  return (
    <main id="main" className="geofences-page">
      <aside className="side" aria-labelledby="geofences-title">
        <h1 id="geofences-title">{t('geofences.title')}</h1>
        {editable && <p className="muted">{toolbarReady ? t('geofences.howToDraw') : t('common.loading')}</p>}
        {drawing && <NewGeofenceForm onSave={saveNew} onCancel={clearDrawing} kind={drawing} />}
        <ErrorBanner error={error ?? geofences.error ?? geoman.error} plain />
        <ul className="plain-list geofence-list" data-testid="geofence-list">
          {list.map((g) => (
            <GeofenceItem
              key={g.id}
              geofence={g}
              editable={editable}
              editing={editing === g.id}
              onShow={() => layer?.focus(g.id)}
              onEdit={() => startEdit(g.id)}
              onFinish={(save) => void finishEdit(g, save)}
              onRename={(name) => rename(g, name)}
              onDelete={() => void deleteGeofence(g)}
            />
          ))}
          {list.length === 0 && <li className="muted">{t('geofences.none')}</li>}
        </ul>
      </aside>
      <section className="map-area" aria-label={t('geofences.map')}>
        {geoman.loaded && <BaseMap onReady={setMap} label={t('geofences.map')} />}
      </section>
    </main>
  );
}
