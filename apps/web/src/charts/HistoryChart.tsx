import { lazy, Suspense, useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Track } from '../replay/track';
import { summarySentences } from './ChartSummary';
import { chartData, chartSummary } from './series';

// uPlot (about 20 KB gzip) comes with the first track shown, not with the app or the history page.
const Plot = lazy(() => import('./Plot'));

/**
 * Speed (and altitude, battery when the fixes have them) over the loaded period, with the replay's
 * cursor on it; a click or a drag on the plot seeks the replay. Screen readers get the figures in
 * words (the plot itself is hidden from them: the replay's slider is the keyboard's way to seek).
 */
export function HistoryChart({
  track,
  cursorMs,
  onSeek,
}: {
  track: Track;
  cursorMs: number;
  onSeek: (ms: number) => void;
}) {
  const { t } = useTranslation();
  const summaryId = useId();
  const data = useMemo(() => chartData(track), [track]);
  const sentences = useMemo(() => summarySentences(chartSummary(track), t), [track, t]);
  if (track.length === 0) return null;
  return (
    // The figures are the description, not the name: a name holding "Speed: …" would also answer to
    // the replay's "Speed" control when looked up by label.
    <figure
      className="history-chart"
      aria-label={t('chart.title')}
      aria-describedby={summaryId}
      data-testid="history-chart"
    >
      <p id={summaryId} className="visually-hidden" data-testid="chart-summary">
        {sentences.join(' ')}
      </p>
      {data.series.length === 0 ? (
        <p className="muted">{t('chart.noData')}</p>
      ) : (
        <Suspense fallback={<div className="history-chart__placeholder" />}>
          <Plot data={data} cursorMs={cursorMs} onSeek={onSeek} />
        </Suspense>
      )}
    </figure>
  );
}
