import type { ReportKind, ReportLanguage } from '@fleet/contracts';
import { Formatter, titleOf } from './text';

const WORDS: Record<ReportLanguage, { report: string; period: string; attached: string; vehicles: string }> = {
  en: {
    report: 'Scheduled report',
    period: 'Period',
    attached: 'The report is attached as PDF and CSV.',
    vehicles: 'Vehicles',
  },
  es: {
    report: 'Informe programado',
    period: 'Periodo',
    attached: 'El informe va adjunto en PDF y CSV.',
    vehicles: 'Vehículos',
  },
};

/**
 * The subject and plain text of a scheduled report's e-mail, in its language, the period's days in
 * its time zone (the last day is the one before `to`, which is the next period's first midnight).
 */
export function reportEmailText(
  o: { name: string; kind: ReportKind; from: string; to: string; vehicles: readonly string[] },
  options: { lang: ReportLanguage; timeZone: string },
): { subject: string; text: string } {
  const w = WORDS[options.lang];
  const f = new Formatter(options.lang, options.timeZone);
  const day = (iso: string) => f.dateTime(iso).slice(0, 10);
  const last = new Date(Date.parse(o.to) - 1).toISOString();
  const period = day(o.from) === day(last) ? day(o.from) : `${day(o.from)} – ${day(last)}`;
  const title = titleOf(o.kind, options.lang);
  const lines = [
    `${w.report}: ${o.name}`,
    `${title}, ${w.period.toLowerCase()} ${period} (${options.timeZone})`,
    ...(o.vehicles.length ? [`${w.vehicles}: ${o.vehicles.join(', ')}`] : []),
    '',
    w.attached,
  ];
  return { subject: `${o.name}: ${title} ${period}`, text: lines.join('\n') };
}
