import type { EventDetail } from '@fleet/contracts';

export type PushLanguage = 'en' | 'es';

const TEXT = {
  en: {
    vehicle: 'Vehicle',
    geofence: 'a geofence',
    geofence_enter: (g: string) => `Entered ${g}`,
    geofence_exit: (g: string) => `Left ${g}`,
    overspeed: 'Over the speed limit',
    speed: (speed: number, limit: number) => `${speed} km/h (limit ${limit} km/h)`,
    device_offline: 'Offline: no position received',
    device_online: 'Back online',
    driver_changed: (name: string | null) => (name ? `Driver: ${name}` : 'Driver changed'),
    maintenance_due: (rule: string | null) => (rule ? `Maintenance due: ${rule}` : 'Maintenance due'),
  },
  es: {
    vehicle: 'Vehículo',
    geofence: 'una geocerca',
    geofence_enter: (g: string) => `Entró en ${g}`,
    geofence_exit: (g: string) => `Salió de ${g}`,
    overspeed: 'Exceso de velocidad',
    speed: (speed: number, limit: number) => `${speed} km/h (límite ${limit} km/h)`,
    device_offline: 'Sin conexión: no se reciben posiciones',
    device_online: 'De nuevo en línea',
    driver_changed: (name: string | null) => (name ? `Conductor: ${name}` : 'Cambio de conductor'),
    maintenance_due: (rule: string | null) => (rule ? `Mantenimiento pendiente: ${rule}` : 'Mantenimiento pendiente'),
  },
} as const;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined);

/** The notification of an event, in the language the phone registered with: the vehicle, then what happened. */
export function pushText(event: EventDetail, language: PushLanguage): { title: string; body: string } {
  const t = TEXT[language] ?? TEXT.en;
  const title = event.vehicleName || t.vehicle;
  const geofence = event.geofenceName || t.geofence;
  switch (event.type) {
    case 'geofence_enter':
      return { title, body: t.geofence_enter(geofence) };
    case 'geofence_exit':
      return { title, body: t.geofence_exit(geofence) };
    case 'overspeed': {
      const speed = num(event.attributes['speedKmh']);
      const limit = num(event.attributes['limitKmh']);
      return {
        title,
        body: speed !== undefined && limit !== undefined ? `${t.overspeed}: ${t.speed(speed, limit)}` : t.overspeed,
      };
    }
    case 'device_offline':
      return { title, body: t.device_offline };
    case 'driver_changed': {
      const name = event.attributes['toName'];
      return { title, body: t.driver_changed(typeof name === 'string' && name ? name : null) };
    }
    case 'maintenance_due': {
      const rule = event.attributes['ruleName'];
      return { title, body: t.maintenance_due(typeof rule === 'string' && rule ? rule : null) };
    }
    default:
      return { title, body: t.device_online };
  }
}
