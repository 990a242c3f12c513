import { encodeProvisioning } from '@fleet/contracts';
import { QRCodeSVG } from 'qrcode.react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { useConfig } from '../../app/config-context';
import { ActionButton } from '../../components/ActionButton';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';
import { freshDeviceTokens } from './one-time';
import { deviceSetup } from './setup-links';
import { TrackerSettingsForm } from './TrackerSettingsForm';

/** How to make a phone report as this vehicle, with QR codes to scan instead of typing. */
export function DeviceSetupPage({ vehicleId }: { vehicleId: string }) {
  const { t } = useTranslation();
  const config = useConfig();
  const [token, setToken] = useState(() => freshDeviceTokens.get(vehicleId));
  const found = useApiQuery('getVehicle', { params: { id: vehicleId } });
  const regenerate = useApiMutation('regenerateDeviceToken', {
    invalidates: ['listVehicles', 'getVehicle'],
    onSuccess: (answer) => {
      freshDeviceTokens.set(answer.vehicle.id, answer.deviceToken);
      setToken(answer.deviceToken);
    },
  });
  const vehicle = found.data;

  const error = found.error ?? regenerate.error;
  if (error) return <ErrorBanner error={error} />;
  if (!vehicle) return <p role="status">{t('common.loading')}</p>;
  const setup = deviceSetup({
    origin: config.trackerServerUrl ?? window.location.origin,
    osmandPort: config.osmandPort,
    identifier: vehicle.deviceIdentifier,
    token,
    name: vehicle.name,
  });
  // Our own app takes the API's origin (it posts to the declared paths), the token and the vehicle.
  const provisioning =
    token &&
    encodeProvisioning({
      serverUrl: new URL(config.trackerServerUrl ?? window.location.origin).origin,
      deviceToken: token,
      vehicleName: vehicle.name,
      vehicleId: vehicle.id,
    });
  // Without the token in hand (it is shown once), the codes that carry it need a new one.
  const regenerateButton = (
    <ActionButton
      confirm={t('admin.confirmRegenerate', { name: vehicle.name })}
      onAct={() => regenerate.mutate({ params: { id: vehicle.id } })}
    >
      {t('admin.regenerate')}
    </ActionButton>
  );
  return (
    <section aria-labelledby="setup-title" className="setup">
      <h2 id="setup-title">{t('setup.title', { name: vehicle.name })}</h2>
      <p>
        <Link href="/vehicles">{t('setup.back')}</Link>
      </p>
      <div className="setup-grid">
        <article className="card">
          <h3>{t('setup.app.title')}</h3>
          <ol>
            <li>{t('setup.app.install')}</li>
            <li>{provisioning ? t('setup.app.scan') : t('setup.app.noToken')}</li>
            <li>{t('setup.app.shift')}</li>
          </ol>
          {provisioning ? (
            <QrFigure value={provisioning} label={t('setup.app.qr')} testId="app-provisioning-qr" />
          ) : (
            regenerateButton
          )}
        </article>
        <article className="card">
          <h3>Traccar Client</h3>
          <ol>
            <li>{t('setup.traccar.install')}</li>
            <li>
              {t('setup.traccar.identifier')} <code data-testid="setup-identifier">{vehicle.deviceIdentifier}</code>
            </li>
            <li>
              {t('setup.traccar.server')} <code data-testid="setup-traccar-url">{setup.traccarUrl}</code>
              <br />
              <span className="muted small">
                {t('setup.traccar.gateway')} <code>{setup.traccarGatewayUrl}</code>
              </span>
            </li>
            <li>{t('setup.traccar.start')}</li>
          </ol>
          <QrFigure
            value={`${setup.traccarUrl}/?id=${encodeURIComponent(vehicle.deviceIdentifier)}`}
            label={t('setup.traccar.qr')}
            size={180}
          />
        </article>
        <article className="card">
          <h3>OwnTracks</h3>
          <ol>
            <li>{t('setup.owntracks.mode')}</li>
            <li>
              {t('setup.owntracks.url')} <code>{setup.ownTracksUrl}</code>
            </li>
            <li>
              {t('setup.owntracks.user')} <code>{vehicle.deviceIdentifier}</code>
            </li>
            <li>{token ? t('setup.owntracks.password') : t('setup.owntracks.noToken')}</li>
          </ol>
          {token && <OneTimeSecret label={t('admin.deviceToken')} value={token} />}
          {token ? (
            <QrFigure value={setup.ownTracksConfigLink} label={t('setup.owntracks.qr')} testId="owntracks-qr" />
          ) : (
            regenerateButton
          )}
        </article>
      </div>
      <TrackerSettingsForm vehicleId={vehicle.id} />
    </section>
  );
}

/** A scannable setup code with its caption. */
function QrFigure({
  value,
  label,
  size = 220,
  testId,
}: {
  value: string;
  label: string;
  size?: number;
  testId?: string;
}) {
  return (
    <figure className="qr">
      <QRCodeSVG value={value} size={size} marginSize={2} title={label} data-testid={testId} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}
