import type { EventType, ReportKind, ReportLanguage } from '@fleet/contracts';

/** Every word a report file prints, in each language. */
const STRINGS = {
  en: {
    title: { trips: 'Trips', stops: 'Stops', summary: 'Summary', events: 'Events', maintenance: 'Maintenance' },
    organization: 'Organization',
    vehicles: 'Vehicles',
    allVehicles: 'All vehicles',
    period: 'Period',
    generated: 'Generated',
    timeZone: 'Time zone',
    vehicle: 'Vehicle',
    start: 'Start',
    end: 'End',
    duration: 'Duration',
    distance: 'Distance',
    maxSpeed: 'Max speed',
    avgSpeed: 'Avg speed',
    idle: 'Idle',
    driving: 'Driving',
    stopped: 'Stopped',
    trips: 'Trips',
    stops: 'Stops',
    fixes: 'Fixes',
    lat: 'Latitude',
    lon: 'Longitude',
    startLat: 'Start latitude',
    startLon: 'Start longitude',
    endLat: 'End latitude',
    endLon: 'End longitude',
    position: 'Position',
    place: 'Place',
    startPlace: 'Start place',
    endPlace: 'End place',
    driver: 'Driver',
    route: 'Route',
    dataGap: 'Data gap',
    yes: 'yes',
    no: 'no',
    time: 'Time',
    type: 'Type',
    geofence: 'Geofence',
    speed: 'Speed',
    limit: 'Limit',
    totals: 'Totals',
    count: 'Count',
    none: 'Nothing in this period.',
    page: (n: number, of: number) => `Page ${n} of ${of}`,
    sampled: (vehicle: string, every: number) => `${vehicle}: the period holds many fixes, one in ${every} was used.`,
    truncated: (max: number) => `Only the newest ${max} events of the period are listed.`,
    chartTitle: 'Speed over time',
    speedAxis: 'Speed (km/h)',
    altitudeAxis: 'Altitude (m)',
    batteryAxis: 'Battery (%)',
    timeAxis: (timeZone: string) => `Time (${timeZone})`,
    noPositions: 'No positions in this period.',
    rule: 'Rule',
    odometer: 'Odometer',
    engineHours: 'Engine hours',
    lastService: 'Last service',
    lastServiceKm: 'Last service odometer',
    lastServiceHours: 'Last service engine hours',
    nextKm: 'Next due odometer',
    nextHours: 'Next due engine hours',
    nextDate: 'Next due date',
    nextDue: 'Next due',
    status: 'Status',
    maintenanceStatus: { ok: 'OK', due: 'Due soon', overdue: 'Overdue' },
    noMaintenance: 'No maintenance rule applies to these vehicles.',
    eventType: {
      geofence_enter: 'Geofence entered',
      geofence_exit: 'Geofence left',
      overspeed: 'Overspeed',
      device_offline: 'Device offline',
      device_online: 'Device online',
      driver_changed: 'Driver changed',
      maintenance_due: 'Maintenance due',
    } satisfies Record<EventType, string>,
  },
  es: {
    title: {
      trips: 'Trayectos',
      stops: 'Paradas',
      summary: 'Resumen',
      events: 'Eventos',
      maintenance: 'Mantenimiento',
    },
    organization: 'Organización',
    vehicles: 'Vehículos',
    allVehicles: 'Todos los vehículos',
    period: 'Periodo',
    generated: 'Generado',
    timeZone: 'Zona horaria',
    vehicle: 'Vehículo',
    start: 'Inicio',
    end: 'Fin',
    duration: 'Duración',
    distance: 'Distancia',
    maxSpeed: 'Velocidad máx.',
    avgSpeed: 'Velocidad media',
    idle: 'Al ralentí',
    driving: 'Conducción',
    stopped: 'Detenido',
    trips: 'Trayectos',
    stops: 'Paradas',
    fixes: 'Posiciones',
    lat: 'Latitud',
    lon: 'Longitud',
    startLat: 'Latitud inicio',
    startLon: 'Longitud inicio',
    endLat: 'Latitud fin',
    endLon: 'Longitud fin',
    position: 'Posición',
    place: 'Lugar',
    startPlace: 'Lugar de inicio',
    endPlace: 'Lugar de fin',
    driver: 'Conductor',
    route: 'Recorrido',
    dataGap: 'Sin datos',
    yes: 'sí',
    no: 'no',
    time: 'Hora',
    type: 'Tipo',
    geofence: 'Geocerca',
    speed: 'Velocidad',
    limit: 'Límite',
    totals: 'Totales',
    count: 'Número',
    none: 'Nada en este periodo.',
    page: (n: number, of: number) => `Página ${n} de ${of}`,
    sampled: (vehicle: string, every: number) =>
      `${vehicle}: el periodo tiene muchas posiciones, se usó una de cada ${every}.`,
    truncated: (max: number) => `Solo se listan los ${max} eventos más recientes del periodo.`,
    chartTitle: 'Velocidad a lo largo del tiempo',
    speedAxis: 'Velocidad (km/h)',
    altitudeAxis: 'Altitud (m)',
    batteryAxis: 'Batería (%)',
    timeAxis: (timeZone: string) => `Hora (${timeZone})`,
    noPositions: 'Sin posiciones en este periodo.',
    rule: 'Regla',
    odometer: 'Odómetro',
    engineHours: 'Horas de motor',
    lastService: 'Último servicio',
    lastServiceKm: 'Odómetro último servicio',
    lastServiceHours: 'Horas de motor último servicio',
    nextKm: 'Próximo servicio (odómetro)',
    nextHours: 'Próximo servicio (horas de motor)',
    nextDate: 'Próximo servicio (fecha)',
    nextDue: 'Próximo servicio',
    status: 'Estado',
    maintenanceStatus: { ok: 'Al día', due: 'Próximo', overdue: 'Vencido' },
    noMaintenance: 'Ninguna regla de mantenimiento se aplica a estos vehículos.',
    eventType: {
      geofence_enter: 'Entrada en geocerca',
      geofence_exit: 'Salida de geocerca',
      overspeed: 'Exceso de velocidad',
      device_offline: 'Dispositivo sin señal',
      device_online: 'Dispositivo conectado',
      driver_changed: 'Cambio de conductor',
      maintenance_due: 'Mantenimiento pendiente',
    } satisfies Record<EventType, string>,
  },
};

export type Strings = (typeof STRINGS)['en'];
export const strings = (lang: ReportLanguage): Strings => STRINGS[lang];

const NUMBER_LOCALE: Record<ReportLanguage, string> = { en: 'en-US', es: 'es-ES' };

/**
 * How a report writes numbers, times and durations in one language and time zone. PDF text follows
 * the language (`12,5` in Spanish); CSV keeps machine-readable values (`12.5`, ISO-8601 times).
 */
export class Formatter {
  private readonly parts: Intl.DateTimeFormat;
  private readonly dayMonth: Intl.DateTimeFormat;
  private readonly numbers = new Map<number, Intl.NumberFormat>();

  constructor(
    readonly lang: ReportLanguage,
    readonly timeZone: string,
  ) {
    this.parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    this.dayMonth = new Intl.DateTimeFormat(NUMBER_LOCALE[lang], {
      timeZone,
      day: 'numeric',
      month: 'short',
    });
  }

  /** The wall clock of an instant in the time zone, and its offset from UTC in minutes. */
  private wall(iso: string | number) {
    const ms = typeof iso === 'number' ? iso : Date.parse(iso);
    const p: Record<string, string> = {};
    for (const { type, value } of this.parts.formatToParts(ms)) p[type] = value;
    const asUtc = Date.UTC(+p['year'], +p['month'] - 1, +p['day'], +p['hour'], +p['minute'], +p['second']);
    const offsetMin = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
    return { y: p['year'], mo: p['month'], d: p['day'], h: p['hour'], mi: p['minute'], s: p['second'], offsetMin };
  }

  /** ISO-8601 with the time zone's offset (`2026-03-02T09:15:00+01:00`): CSV. */
  isoLocal(iso: string): string {
    const w = this.wall(iso);
    const sign = w.offsetMin < 0 ? '-' : '+';
    const abs = Math.abs(w.offsetMin);
    const offset = `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    return `${w.y}-${w.mo}-${w.d}T${w.h}:${w.mi}:${w.s}${offset}`;
  }

  /** Date and time to the minute as people of the language write it: PDF. */
  dateTime(iso: string): string {
    const w = this.wall(iso);
    return this.lang === 'es' ? `${w.d}/${w.mo}/${w.y} ${w.h}:${w.mi}` : `${w.y}-${w.mo}-${w.d} ${w.h}:${w.mi}`;
  }

  /** How far the time zone's wall clock is ahead of UTC at an instant (epoch ms), in milliseconds. */
  offsetMs(ms: number): number {
    return this.wall(ms).offsetMin * 60_000;
  }

  /** `HH:MM` on the time zone's wall clock (chart ticks). */
  hourMinute(ms: number): string {
    const w = this.wall(ms);
    return `${w.h}:${w.mi}`;
  }

  /** Day and short month in the language (`2 Mar`, `2 mar`): chart ticks. */
  dayAndMonth(ms: number): string {
    return this.dayMonth.format(ms);
  }

  /** A number with `digits` decimals in the language's notation. */
  number(value: number, digits: number): string {
    let f = this.numbers.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(NUMBER_LOCALE[this.lang], {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
      this.numbers.set(digits, f);
    }
    return f.format(value);
  }

  km(metres: number): string {
    return `${this.number(metres / 1000, 1)} km`;
  }

  speed(kmh: number): string {
    return `${this.number(kmh, 0)} km/h`;
  }

  coord(degrees: number): string {
    return this.number(degrees, 5);
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `H:MM:SS` (hours past 24 are kept: a week of driving is `168:00:00`). */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** The title of a report in a language. */
export const titleOf = (kind: ReportKind, lang: ReportLanguage) => STRINGS[lang].title[kind];
