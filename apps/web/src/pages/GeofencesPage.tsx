import type { Geofence } from '@fleet/contracts';
import L from 'leaflet';
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useToast } from '../components/toasts';
import { useLive } from '../live/context';
import { BaseMap } from '../map/BaseMap';
import { canEdit, useApi, useMe } from '../session/context';
import { validateName } from './forms';
import { polygonLatLngs, shapeInput, type DrawnShape } from './geofence-shapes';

type ShapeLayer = L.Polygon | L.Circle;

function layerOf(g: Geofence): ShapeLayer {
  const style = { color: '#8250df', weight: 2, fillOpacity: 0.12 };
  return g.kind === 'circle' && g.center && g.radiusM
    ? L.circle([g.center.lat, g.center.lon], { ...style, radius: g.radiusM })
    : L.polygon(polygonLatLngs(g), style);
}

function shapeOf(layer: ShapeLayer): DrawnShape {
  if (layer instanceof L.Circle) {
    const c = layer.getLatLng();
    return { kind: 'circle', center: { lat: c.lat, lon: c.lng }, radiusM: layer.getRadius() };
  }
  const geometry = layer.toGeoJSON().geometry;
  const coordinates =
    geometry.type === 'MultiPolygon'
      ? (geometry.coordinates[0] as number[][][])
      : (geometry.coordinates as number[][][]);
  return { kind: 'polygon', polygon: { type: 'Polygon', coordinates } };
}

/**
 * Loads the drawing plugin (geoman) when this page is first opened: most sessions never draw. It must
 * be loaded before the map and its layers are created (it equips them as they are constructed).
 */
let geoman: Promise<unknown> | undefined;
const loadGeoman = () =>
  (geoman ??= Promise.all([
    import('@geoman-io/leaflet-geoman-free'),
    import('@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css'),
  ]));

export default function GeofencesPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const me = useMe();
  const editable = canEdit(me);
  const notify = useToast();
  const { reloadGeofenceNames } = useLive();
  const [map, setMap] = useState<L.Map>();
  const [geofences, setGeofences] = useState<Geofence[]>([]);
  const [error, setError] = useState<string>();
  const [drawn, setDrawn] = useState<ShapeLayer>();
  const [editing, setEditing] = useState<string>();
  const [ready, setReady] = useState(false);
  const [pluginLoaded, setPluginLoaded] = useState(false);
  const layers = useRef(new Map<string, ShapeLayer>());
  const group = useRef<L.FeatureGroup>(undefined);

  const reload = useCallback(async () => {
    try {
      const list = await api.geofences();
      setGeofences(list.items);
      reloadGeofenceNames();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [api, reloadGeofenceNames]);

  useEffect(() => void reload(), [reload]);
  useEffect(() => {
    let cancelled = false;
    loadGeoman().then(
      () => !cancelled && setPluginLoaded(true),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      cancelled = true;
    };
  }, []);

  // The drawing toolbar (operators and admins only).
  useEffect(() => {
    if (!map || !editable) return;
    const onCreate = (e: { layer: L.Layer }) => {
      setDrawn(e.layer as ShapeLayer);
    };
    map.pm.setLang(i18n.language === 'es' ? 'es' : 'en');
    map.pm.addControls({
      position: 'topleft',
      drawMarker: false,
      drawCircleMarker: false,
      drawPolyline: false,
      drawText: false,
      drawRectangle: true,
      drawPolygon: true,
      drawCircle: true,
      editMode: false,
      dragMode: false,
      cutPolygon: false,
      removalMode: false,
      rotateMode: false,
    });
    map.on('pm:create', onCreate);
    setReady(true);
    return () => {
      map.off('pm:create', onCreate);
      map.pm?.removeControls();
    };
  }, [map, editable, i18n.language]);

  // The saved geofences on the map.
  useEffect(() => {
    if (!map) return;
    const g = L.featureGroup().addTo(map);
    group.current = g;
    layers.current.clear();
    for (const geofence of geofences) {
      const layer = layerOf(geofence).bindTooltip(geofence.name).addTo(g);
      layers.current.set(geofence.id, layer);
    }
    if (geofences.length && !drawn) map.fitBounds(g.getBounds(), { padding: [30, 30], maxZoom: 15, animate: false });
    return () => {
      g.remove();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [map, geofences]);

  async function saveNew(name: string) {
    if (!drawn) return;
    const input = shapeInput(name, shapeOf(drawn));
    if ('error' in input) return t(input.error);
    try {
      const saved = await api.createGeofence(input);
      drawn.remove();
      setDrawn(undefined);
      notify({ title: t('geofences.saved', { name: saved.name }), kind: 'success' });
      await reload();
      return undefined;
    } catch (err) {
      return t('common.failed', { message: err instanceof Error ? err.message : String(err) });
    }
  }

  function cancelNew() {
    drawn?.remove();
    setDrawn(undefined);
  }

  function startEdit(id: string) {
    const layer = layers.current.get(id);
    if (!layer?.pm) return;
    layer.pm.enable({ allowSelfIntersection: false });
    setEditing(id);
    map?.fitBounds(layer.getBounds(), { padding: [40, 40] });
  }

  async function finishEdit(g: Geofence, save: boolean) {
    const layer = layers.current.get(g.id);
    layer?.pm?.disable();
    setEditing(undefined);
    if (!layer || !save) return void reload();
    const input = shapeInput(g.name, shapeOf(layer));
    if ('error' in input) {
      setError(t(input.error));
      return void reload();
    }
    try {
      await api.updateGeofence(
        g.id,
        input.kind === 'circle'
          ? { kind: 'circle', center: input.center, radiusM: input.radiusM }
          : { kind: 'polygon', polygon: input.polygon },
      );
      notify({ title: t('geofences.saved', { name: g.name }), kind: 'success' });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
    await reload();
  }

  async function rename(g: Geofence, name: string) {
    try {
      await api.updateGeofence(g.id, { name: name.trim() });
      await reload();
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  async function remove(g: Geofence) {
    if (!window.confirm(t('geofences.confirmDelete', { name: g.name }))) return;
    try {
      await api.deleteGeofence(g.id);
      notify({ title: t('geofences.deleted', { name: g.name }) });
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <main id="main" className="geofences-page">
      <aside className="side" aria-labelledby="geofences-title">
        <h1 id="geofences-title">{t('geofences.title')}</h1>
        {editable && <p className="muted">{ready ? t('geofences.howToDraw') : t('common.loading')}</p>}
        {drawn && (
          <NewGeofenceForm
            onSave={saveNew}
            onCancel={cancelNew}
            kind={drawn instanceof L.Circle ? 'circle' : 'polygon'}
          />
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <ul className="plain-list geofence-list" data-testid="geofence-list">
          {geofences.map((g) => (
            <GeofenceItem
              key={g.id}
              geofence={g}
              editable={editable}
              editing={editing === g.id}
              onShow={() => {
                const layer = layers.current.get(g.id);
                if (layer && map) map.fitBounds(layer.getBounds(), { padding: [40, 40] });
              }}
              onEdit={() => startEdit(g.id)}
              onFinish={(save) => void finishEdit(g, save)}
              onRename={(name) => rename(g, name)}
              onDelete={() => void remove(g)}
            />
          ))}
          {geofences.length === 0 && <li className="muted">{t('geofences.none')}</li>}
        </ul>
      </aside>
      <section className="map-area" aria-label={t('geofences.map')}>
        {pluginLoaded && <BaseMap onReady={setMap} label={t('geofences.map')} />}
      </section>
    </main>
  );
}

function NewGeofenceForm({
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

function GeofenceItem({
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
