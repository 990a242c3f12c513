import type { TFunction } from 'i18next';
import { fmt } from '../i18n';
import type { ChartSummary } from './series';

/** The chart in words, one sentence per measurement it draws. */
export function summarySentences(summary: ChartSummary, t: TFunction): string[] {
  const out: string[] = [];
  if (summary.speed)
    out.push(t('chart.summarySpeed', { max: fmt.speed(summary.speed.maxKmh), avg: fmt.speed(summary.speed.avgKmh) }));
  if (summary.altitude)
    out.push(
      t('chart.summaryAltitude', {
        min: `${fmt.number(summary.altitude.min)} m`,
        max: `${fmt.number(summary.altitude.max)} m`,
      }),
    );
  if (summary.battery)
    out.push(
      t('chart.summaryBattery', {
        first: `${fmt.number(summary.battery.first)} %`,
        last: `${fmt.number(summary.battery.last)} %`,
        min: `${fmt.number(summary.battery.min)} %`,
      }),
    );
  if (!out.length) out.push(t('chart.noData'));
  return out;
}
