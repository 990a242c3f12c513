import { ApiError, connectEventStream } from '@fleet/api-client';
import { LIVE_EVENT, SharedPosition } from '@fleet/contracts';
import L from 'leaflet';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { errorMessage } from '../data/errors';
import { fmt } from '../i18n';
import { BaseMap } from '../map/BaseMap';
import { vehicleIcon } from '../map/icons';
import { useApi } from '../session/context';

/** A read-only live view of one vehicle for whoever has the link (no account): its name, then its stream. */
export default function SharedPage({ token }: { token: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const shared = useApiQuery('getSharedVehicle', { params: { token } });
  const [streamed, setStreamed] = useState<SharedPosition>();
  const [ended, setEnded] = useState(false);
  const [map, setMap] = useState<L.Map>();
  const marker = useRef<L.Marker>(undefined);
  const valid = shared.data !== undefined;
  const data = shared.data;
  const position = streamed ?? data?.position ?? null;
  const gone = ended || (shared.error instanceof ApiError && shared.error.status === 404);
  const error = gone ? t('shared.gone') : shared.error ? errorMessage(shared.error) : undefined;

  // Live updates once the link is known to be valid; `end` means it expired or was revoked.
  useEffect(() => {
    if (!valid) return;
    const stop = connectEventStream({
      url: api.urlOf(api.endpoints.sharedLiveStream, { params: { token } }),
      onEvents: (events) => {
        for (const e of events) {
          if (e.event === LIVE_EVENT.end) {
            setEnded(true);
            stop();
          } else if (e.event === LIVE_EVENT.position) {
            const parsed = SharedPosition.safeParse(safeJson(e.data));
            if (parsed.success) setStreamed(parsed.data); // a malformed message is ignored
          }
        }
      },
    });
    return stop;
  }, [valid, api, token]);

  useEffect(() => {
    if (!map || !position) return;
    if (!marker.current) {
      marker.current = L.marker([position.lat, position.lon], {
        icon: vehicleIcon('shared', 'moving', position.heading, true),
      }).addTo(map);
      map.setView([position.lat, position.lon], 15);
    } else {
      marker.current.setLatLng([position.lat, position.lon]);
      map.panTo([position.lat, position.lon]);
    }
  }, [map, position]);

  return (
    <main id="main" className="shared-page">
      <header className="topbar">
        <span className="brand">{data?.vehicle.name ?? t('app.name')}</span>
        <LanguageSwitch />
      </header>
      <ErrorBanner error={error} plain />
      {position && (
        <p className="muted shared-facts">
          {fmt.dateTime(position.ts)} · {fmt.speed(position.speedKmh)}
          {data && ` · ${t('shared.until', { when: fmt.dateTime(data.expiresAt) })}`}
        </p>
      )}
      <BaseMap onReady={setMap} label={t('shared.map')} className="shared-map" />
    </main>
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
