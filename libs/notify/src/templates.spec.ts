import type { EventType } from '@fleet/contracts';
import { escapeHtml, escapeTelegramHtml, escapeTelegramMarkdownV2 } from './escape';
import { eventLink, renderEvent, type TemplateEvent } from './templates';

const base: TemplateEvent = {
  id: '6f1c1f52-7a44-4e53-9d8f-2a7b1d0c0001',
  vehicleId: '0b9c4a7e-55a3-4d0c-8a43-b1c3c7d0e002',
  type: 'geofence_enter',
  // 21:30 UTC in winter: 22:30 in Madrid, 16:30 in New York.
  ts: '2026-01-15T21:30:00.000Z',
  lat: 40.41678,
  lon: -3.70379,
  attributes: {},
  vehicleName: 'Van 03',
  geofenceName: 'Depot Norte',
};

const en = { language: 'en' as const, timeZone: 'Europe/Madrid', webBaseUrl: 'https://fleet.example.com' };
const es = { ...en, language: 'es' as const };

describe('renderEvent', () => {
  const cases: [EventType, Partial<TemplateEvent>, string, string][] = [
    ['geofence_enter', {}, 'Van 03 entered Depot Norte', 'Van 03 entró en Depot Norte'],
    ['geofence_exit', {}, 'Van 03 left Depot Norte', 'Van 03 salió de Depot Norte'],
    [
      'overspeed',
      { attributes: { speedKmh: 92.4, limitKmh: 80 } },
      'Van 03 drove at 92 km/h, over its limit',
      'Van 03 circuló a 92 km/h, por encima de su límite',
    ],
    [
      'device_offline',
      { attributes: { lastFixAt: '2026-01-15T21:20:00.000Z' } },
      'Van 03 stopped reporting',
      'Van 03 ha dejado de enviar posiciones',
    ],
    [
      'device_online',
      { attributes: { offlineSince: '2026-01-15T20:00:00.000Z' } },
      'Van 03 is reporting again',
      'Van 03 vuelve a enviar posiciones',
    ],
  ];

  it.each(cases)('words %s in English and Spanish like the web does', (type, extra, english, spanish) => {
    const event = { ...base, type, ...extra };
    const a = renderEvent(event, en);
    const b = renderEvent(event, es);
    expect(a.subject).toBe(english);
    expect(b.subject).toBe(spanish);
    expect(a.text).toContain(`${english}.`);
    expect(b.text).toContain(`${spanish}.`);
    expect(a.html).toContain('<html lang="en">');
    expect(b.html).toContain('<html lang="es">');
    expect(a.text).toContain('See the event: https://fleet.example.com/events?');
    expect(b.text).toContain('Ver el evento: https://fleet.example.com/events?');
  });

  it('words a driver change with who drove before and who drives now', () => {
    const event = {
      ...base,
      type: 'driver_changed' as const,
      attributes: { from: null, to: 'x', toName: 'Ana Pérez' },
    };
    const a = renderEvent(event, en);
    const b = renderEvent(event, es);
    expect(a.subject).toBe('Van 03 has a new driver');
    expect(b.subject).toBe('Van 03 tiene un nuevo conductor');
    expect(a.text).toContain('Driver: nobody → Ana Pérez');
    expect(b.text).toContain('Conductor: nadie → Ana Pérez');
    expect(renderEvent({ ...event, attributes: { fromName: 'Bea', toName: 'Ana' } }, en).text).toContain(
      'Driver: Bea → Ana',
    );
  });

  it('shows the time in the recipient’s zone and locale', () => {
    expect(renderEvent(base, en).text).toContain('When: 15 Jan 2026, 22:30 CET');
    expect(renderEvent(base, es).text).toContain('Cuándo: 15 ene 2026, 22:30 CET');
    const ny = renderEvent(base, { ...en, timeZone: 'America/New_York', locale: 'en-US' }).text;
    expect(ny).toContain('When: Jan 15, 2026, 04:30 PM EST');
    // Summer time in Madrid is CEST, an hour more.
    expect(renderEvent({ ...base, ts: '2026-07-15T20:30:00.000Z' }, en).text).toContain('22:30 CEST');
  });

  it('shows the place when given, else the coordinates, else nothing', () => {
    expect(renderEvent(base, { ...en, place: 'Calle Mayor 1, Madrid' }).text).toContain('Where: Calle Mayor 1, Madrid');
    expect(renderEvent(base, es).text).toContain('Dónde: 40.41678, -3.70379');
    const nowhere = renderEvent({ ...base, type: 'device_offline', lat: null, lon: null }, en).text;
    expect(nowhere).not.toContain('Where');
  });

  it('gives the speed and the limit of an overspeed, and the last fix of an offline vehicle', () => {
    const over = { ...base, type: 'overspeed' as const, attributes: { speedKmh: 1234.4, limitKmh: 80 } };
    expect(renderEvent(over, en).text).toContain('Speed: 1,234 km/h (limit 80 km/h)');
    expect(renderEvent(over, es).text).toContain('Velocidad: 1234 km/h (límite 80 km/h)');
    const off = { ...base, type: 'device_offline' as const, attributes: { lastFixAt: '2026-01-15T21:20:00.000Z' } };
    expect(renderEvent(off, en).text).toContain('Last position: 15 Jan 2026, 22:20 CET');
    expect(renderEvent(off, es).text).toContain('Última posición: 15 ene 2026, 22:20 CET');
  });

  it('falls back to words for a vehicle or geofence with no name', () => {
    const anon = { ...base, vehicleName: null, geofenceName: null };
    expect(renderEvent(anon, en).subject).toBe('A vehicle entered a geofence');
    expect(renderEvent(anon, es).subject).toBe('Un vehículo entró en una geocerca');
  });

  it('escapes a vehicle named <script> everywhere HTML is made, in both languages', () => {
    const evil = {
      ...base,
      vehicleName: '<script>alert("x")</script>',
      geofenceName: `Tom & Jerry's <b>yard</b>`,
    };
    for (const options of [en, es]) {
      const r = renderEvent(evil, { ...options, place: '<img src=x onerror=alert(1)>' });
      expect(r.html).not.toMatch(/<script|<img|<b>yard/);
      expect(r.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(r.html).toContain('Tom &amp; Jerry&#39;s &lt;b&gt;yard&lt;/b&gt;');
      expect(r.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(r.telegramHtml).not.toMatch(/<script|<img|<b>yard/);
      expect(r.telegramHtml).toContain('<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</b>');
      // Plain text and subject are not HTML: the name is shown as typed.
      expect(r.subject).toContain('<script>alert("x")</script>');
      expect(r.text).toContain(`Tom & Jerry's <b>yard</b>`);
    }
  });

  it('keeps a name with a line break on one line (no header or paragraph injection)', () => {
    const r = renderEvent({ ...base, vehicleName: 'Van\r\nBcc: x@example.com' }, en);
    expect(r.subject).toBe('Van Bcc: x@example.com entered Depot Norte');
  });
});

describe('eventLink', () => {
  it('points at the event in the web under any base path, with ids encoded', () => {
    expect(eventLink('https://fleet.example.com/app', base)).toBe(
      `https://fleet.example.com/app/events?vehicleId=${base.vehicleId}&event=${base.id}`,
    );
    expect(eventLink('https://x.test/', { id: 'a&b', vehicleId: 'v' })).toBe(
      'https://x.test/events?vehicleId=v&event=a%26b',
    );
  });

  it('refuses a base that is not http(s)', () => {
    expect(() => eventLink('javascript:alert(1)', base)).toThrow(/http\(s\)/);
  });
});

describe('escaping', () => {
  it('escapes HTML, Telegram HTML and MarkdownV2 the way each reader expects', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    // Telegram knows no &#39;: the apostrophe stays.
    expect(escapeTelegramHtml(`<b>Tom & Jerry's</b>`)).toBe("&lt;b&gt;Tom &amp; Jerry's&lt;/b&gt;");
    expect(escapeTelegramMarkdownV2('Van_03 (1.5 t) *new*! a\\b [x]')).toBe(
      'Van\\_03 \\(1\\.5 t\\) \\*new\\*\\! a\\\\b \\[x\\]',
    );
  });
});
