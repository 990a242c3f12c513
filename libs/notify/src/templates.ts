import type { EventDetail, EventType } from '@fleet/contracts';
import { escapeHtml, escapeTelegramHtml } from './escape';
import type { Language, RenderedNotification } from './types';

/** The event as the events API shows it; only what the templates read. */
export type TemplateEvent = Pick<
  EventDetail,
  'id' | 'vehicleId' | 'type' | 'ts' | 'lat' | 'lon' | 'attributes' | 'vehicleName' | 'geofenceName'
>;

export interface TemplateOptions {
  language: Language;
  /** BCP 47 locale for dates and numbers ("es-MX"); defaults to en-GB / es-ES by language. */
  locale?: string;
  /** The recipient's IANA zone: times are shown in it. */
  timeZone: string;
  /** The web app's public URL ("https://fleet.example.com"); the link to the event is built on it. */
  webBaseUrl: string;
  /** A human-readable place ("Calle Mayor 1, Madrid"), when the address lookup gave one; else coordinates. */
  place?: string | null;
}

interface Words {
  fallbackVehicle: string;
  fallbackGeofence: string;
  headline: Record<EventType, (v: string, g: string, speed: string) => string>;
  when: string;
  where: string;
  speed: (speed: string, limit: string | null) => string;
  speedLabel: string;
  lastFix: string;
  offlineSince: string;
  driver: string;
  nobody: string;
  open: string;
  footer: string;
}

// The web's wording (apps/web/src/i18n events.text), so a notification reads like the events page.
const WORDS: Record<Language, Words> = {
  en: {
    fallbackVehicle: 'A vehicle',
    fallbackGeofence: 'a geofence',
    headline: {
      geofence_enter: (v, g) => `${v} entered ${g}`,
      geofence_exit: (v, g) => `${v} left ${g}`,
      overspeed: (v, _g, s) => `${v} drove at ${s} km/h, over its limit`,
      device_offline: (v) => `${v} stopped reporting`,
      device_online: (v) => `${v} is reporting again`,
      maintenance_due: (v) => `${v} is due for maintenance`,
      driver_changed: (v) => `${v} has a new driver`,
    },
    when: 'When',
    where: 'Where',
    speedLabel: 'Speed',
    speed: (s, l) => (l ? `${s} km/h (limit ${l} km/h)` : `${s} km/h`),
    lastFix: 'Last position',
    offlineSince: 'Offline since',
    driver: 'Driver',
    nobody: 'nobody',
    open: 'See the event',
    footer: 'You receive this because of a notification rule of yours in Fleet.',
  },
  es: {
    fallbackVehicle: 'Un vehículo',
    fallbackGeofence: 'una geocerca',
    headline: {
      geofence_enter: (v, g) => `${v} entró en ${g}`,
      geofence_exit: (v, g) => `${v} salió de ${g}`,
      overspeed: (v, _g, s) => `${v} circuló a ${s} km/h, por encima de su límite`,
      device_offline: (v) => `${v} ha dejado de enviar posiciones`,
      device_online: (v) => `${v} vuelve a enviar posiciones`,
      maintenance_due: (v) => `${v} necesita mantenimiento`,
      driver_changed: (v) => `${v} tiene un nuevo conductor`,
    },
    when: 'Cuándo',
    where: 'Dónde',
    speedLabel: 'Velocidad',
    speed: (s, l) => (l ? `${s} km/h (límite ${l} km/h)` : `${s} km/h`),
    lastFix: 'Última posición',
    offlineSince: 'Sin señal desde',
    driver: 'Conductor',
    nobody: 'nadie',
    open: 'Ver el evento',
    footer: 'Recibe este mensaje por una de sus reglas de notificación en Fleet.',
  },
};

const DEFAULT_LOCALE: Record<Language, string> = { en: 'en-GB', es: 'es-ES' };

/** User-supplied names on one line: a newline in a vehicle name must not start a new header or paragraph. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The web's page for the event (the events list, filtered to its vehicle, the event's id to focus). */
export function eventLink(webBaseUrl: string, event: Pick<TemplateEvent, 'id' | 'vehicleId'>): string {
  const base = new URL(webBaseUrl.endsWith('/') ? webBaseUrl : `${webBaseUrl}/`);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`webBaseUrl must be an http(s) URL, got ${base.protocol}`);
  }
  const url = new URL('events', base);
  url.searchParams.set('vehicleId', event.vehicleId);
  url.searchParams.set('event', event.id);
  return url.toString();
}

/** A date as the recipient reads it: their locale, their zone, with the zone's abbreviation. */
export function formatTime(iso: string, options: Pick<TemplateOptions, 'language' | 'locale' | 'timeZone'>): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(options.locale ?? DEFAULT_LOCALE[options.language], {
    timeZone: options.timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

/** Subject, plain text, HTML and Telegram HTML of one event's notification in one language. */
export function renderEvent(event: TemplateEvent, options: TemplateOptions): RenderedNotification {
  const w = WORDS[options.language];
  const locale = options.locale ?? DEFAULT_LOCALE[options.language];
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const vehicle = oneLine(event.vehicleName ?? '') || w.fallbackVehicle;
  const geofence = oneLine(event.geofenceName ?? '') || w.fallbackGeofence;
  const speed = num(event.attributes['speedKmh']) ?? num(event.attributes['maxSpeedKmh']);
  const limit = num(event.attributes['limitKmh']);
  const speedText = speed === undefined ? '?' : integer.format(speed);
  const link = eventLink(options.webBaseUrl, event);

  // The headline three times, each with the names escaped for where it goes.
  const headline = (wrap: (name: string) => string) => w.headline[event.type](wrap(vehicle), wrap(geofence), speedText);

  const rows: [string, string][] = [[w.when, formatTime(event.ts, options)]];
  const place = options.place ? oneLine(options.place) : null;
  if (place) rows.push([w.where, place]);
  else if (event.lat !== null && event.lon !== null)
    rows.push([w.where, `${event.lat.toFixed(5)}, ${event.lon.toFixed(5)}`]);
  if (event.type === 'overspeed' && speed !== undefined) {
    rows.push([w.speedLabel, w.speed(speedText, limit === undefined ? null : integer.format(limit))]);
  }
  const lastFixAt = event.attributes['lastFixAt'];
  if (event.type === 'device_offline' && typeof lastFixAt === 'string')
    rows.push([w.lastFix, formatTime(lastFixAt, options)]);
  const offlineSince = event.attributes['offlineSince'];
  if (event.type === 'device_online' && typeof offlineSince === 'string') {
    rows.push([w.offlineSince, formatTime(offlineSince, options)]);
  }
  if (event.type === 'driver_changed') {
    const name = (key: string) => {
      const v = event.attributes[key];
      return typeof v === 'string' && v ? oneLine(v) : w.nobody;
    };
    rows.push([w.driver, `${name('fromName')} → ${name('toName')}`]);
  }

  const subject = headline((s) => s);
  const text = [
    `${subject}.`,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    `${w.open}: ${link}`,
    '',
    w.footer,
    '',
  ].join('\n');

  const h = escapeHtml;
  const html = [
    '<!doctype html>',
    `<html lang="${options.language}">`,
    `<head><meta charset="utf-8"><title>${h(subject)}</title></head>`,
    '<body style="font-family: sans-serif; color: #1a1a1a">',
    `<p style="font-size: 1.1em">${headline((s) => `<strong>${h(s)}</strong>`)}</p>`,
    '<table style="border-collapse: collapse">',
    ...rows.map(([k, v]) => `<tr><th style="text-align: left; padding-right: 1em">${h(k)}</th><td>${h(v)}</td></tr>`),
    '</table>',
    `<p><a href="${h(link)}">${h(w.open)}</a></p>`,
    `<p style="color: #666; font-size: 0.85em">${h(w.footer)}</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');

  const tg = escapeTelegramHtml;
  const telegramHtml = [
    headline((s) => `<b>${tg(s)}</b>`),
    ...rows.map(([k, v]) => `${tg(k)}: ${tg(v)}`),
    `<a href="${tg(link)}">${tg(w.open)}</a>`,
  ].join('\n');

  return { subject, text, html, telegramHtml };
}
