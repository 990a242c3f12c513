import type { ReportKind } from '@fleet/contracts';
import { Formatter } from './text';

/** `trips_2026-03-02_2026-03-09.pdf`: the kind and the period's days in the time zone (ASCII only). */
export function reportFileName(
  kind: ReportKind,
  period: { from: string; to: string },
  options: { timeZone: string; extension: 'pdf' | 'csv' },
): string {
  const f = new Formatter('en', options.timeZone);
  const day = (iso: string) => f.isoLocal(iso).slice(0, 10);
  return `${kind}_${day(period.from)}_${day(period.to)}.${options.extension}`;
}
