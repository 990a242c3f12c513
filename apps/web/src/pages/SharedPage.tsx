import { SharedVehicle } from '@fleet/contracts';
import L from 'leaflet';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { fmt } from '../i18n';
import { connectLive } from '../live/sse';
import { BaseMap } from '../map/BaseMap';
import { vehicleIcon } from '../map/icons';

type Shared = SharedVehicle;
type Position = NonNullable<Shared['position']>;

/** A read-only live view of one vehicle for whoever has the link (no account): its name, then its stream. */
export default function SharedPage({ token }: { token: string }) {
  const { t } = useTranslation();
  const [data, setData] = useState<Shared>();
  const [position, setPosition] = useState<Position | null>(null);
  const [error, setError] = useState<string>();
  const [map, setMap] = useState<L.Map>();
  const marker = useRef<L.Marker>(undefined);
  const base = `/api/v1/shared/${encodeURIComponent(token)}`;

  useEffect(() => {
    let cancelled = false;
    fetch(base, { headers: { accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(res.status === 404 ? t('shared.gone') : `HTTP ${res.status}`);
        const parsed = SharedVehicle.safeParse(await res.json());
        if (!parsed.success) throw new Error('unexpected answer');
        if (cancelled) return;
        setData(parsed.data);
        setPosition(parsed.data.position);
      })
      .catch((err: unknown) => !cancelled && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      cancelled = true;
    };
  }, [base, t]);

  // Live updates once the link is known to be valid; `end` means it expired or was revoked.
  useEffect(() => {
    if (!data) return;
    const stop = connectLive({
      url: `${base}/live`,
      getToken: () => undefined,
      renew: async () => false,
      onEvents: (events) => {
        for (const e of events) {
          if (e.event === 'end') {
            setError(t('shared.gone'));
            stop();
          } else if (e.event === 'position') {
            try {
              setPosition(JSON.parse(e.data) as Position);
            } catch {
              // ignore a malformed message
            }
          }
        }
      },
    });
    return stop;
  }, [data, base, t]);

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
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
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
