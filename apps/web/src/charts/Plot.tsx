import { useCallback, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { currentLanguage, fmt } from '../i18n';
import './charts.css';
import { cursorSeconds, type ChartData, type ChartSeriesKey } from './series';

const HEIGHT = 110;

const LOOK: Record<ChartSeriesKey, { scale: string; stroke: string; fill?: string }> = {
  speed: { scale: 'kmh', stroke: '#1f6feb', fill: 'rgba(31, 111, 235, 0.08)' },
  altitude: { scale: 'm', stroke: '#8250df' },
  battery: { scale: 'pct', stroke: '#1a7f37' },
};

/** Time ticks in the page's language: hours and minutes, or the day once ticks are a day apart. */
function timeTicks(incrementS: number) {
  const f = new Intl.DateTimeFormat(
    currentLanguage(),
    incrementS >= 86_400 ? { day: 'numeric', month: 'short' } : { hour: 'numeric', minute: '2-digit' },
  );
  return (splits: number[]) => splits.map((s) => f.format(s * 1000));
}

/**
 * The uPlot chart (lazy: this module brings uPlot). The replay's cursor is a DOM line over the plot,
 * moved without redrawing the chart; it exposes where it is as `data-cursor-ms` and
 * `data-cursor-left` (CSS pixels from the plot's left edge) on the plot's element.
 */
export default function Plot({
  data,
  cursorMs,
  onSeek,
}: {
  data: ChartData;
  cursorMs: number;
  onSeek: (ms: number) => void;
}) {
  const { t } = useTranslation();
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<{ u: uPlot; marker: HTMLDivElement }>(undefined);
  const cursorRef = useRef(cursorMs);
  cursorRef.current = cursorMs;
  const onSeekRef = useRef(onSeek);
  onSeekRef.current = onSeek;

  const place = useCallback(() => {
    const el = host.current;
    if (!plot.current || !el) return;
    const { u, marker } = plot.current;
    const s = cursorSeconds(data, cursorRef.current);
    const left = u.valToPos(s, 'x');
    if (!Number.isFinite(left)) return;
    marker.style.transform = `translateX(${left}px)`;
    el.dataset['cursorMs'] = String(Math.round(s * 1000));
    el.dataset['cursorLeft'] = left.toFixed(1);
  }, [data]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const style = getComputedStyle(el);
    const muted = style.getPropertyValue('--muted').trim() || '#59636e';
    const border = style.getPropertyValue('--border').trim() || '#d1d9e0';
    const axisLook = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
    const keys = data.series.map((s) => s.key);
    const startS = data.startMs / 1000;
    const endS = Math.max(data.endMs / 1000, startS + 1);
    const label = (key: ChartSeriesKey) => t(`chart.${key}`);
    const options: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: HEIGHT,
      // Drags seek the replay (below): no zoom selection, no crosshair of uPlot's own.
      cursor: { x: false, y: false, points: { show: false }, drag: { x: false, y: false, setScale: false } },
      legend: { live: false },
      scales: {
        x: { time: true, range: () => [startS, endS] },
        kmh: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil((max ?? 0) / 10) * 10)] },
        pct: { range: () => [0, 100] },
      },
      axes: [
        { ...axisLook, values: (_u, splits, _i, _space, incr) => timeTicks(incr)(splits) },
        ...keys.map((key, i): uPlot.Axis => ({
          ...axisLook,
          scale: LOOK[key].scale,
          // The first measurement on the left, the others on the right without grid lines of their own.
          side: i === 0 ? 3 : 1,
          grid: i === 0 ? axisLook.grid : { show: false },
          size: 44,
          values: (_u, splits) => splits.map((v) => fmt.number(v)),
        })),
      ],
      series: [
        {},
        ...data.series.map((s): uPlot.Series => ({
          label: label(s.key),
          scale: LOOK[s.key].scale,
          stroke: LOOK[s.key].stroke,
          fill: LOOK[s.key].fill,
          width: 1.5,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      hooks: { draw: [() => place()] },
    };
    const u = new uPlot(options, [data.x, ...data.series.map((s) => s.values)] as uPlot.AlignedData, el);
    const marker = document.createElement('div');
    marker.className = 'chart-cursor';
    marker.setAttribute('data-testid', 'chart-cursor');
    u.over.appendChild(marker);
    u.over.title = t('chart.hint');
    plot.current = { u, marker };
    place();

    // A press or drag on the plot seeks the replay to the time under the pointer.
    let dragging = false;
    const seek = (e: PointerEvent) => {
      const box = u.over.getBoundingClientRect();
      const x = Math.min(Math.max(e.clientX - box.left, 0), box.width);
      onSeekRef.current(Math.round(u.posToVal(x, 'x') * 1000));
    };
    const down = (e: PointerEvent) => {
      if (e.button !== 0) return;
      dragging = true;
      u.over.setPointerCapture?.(e.pointerId);
      seek(e);
    };
    const move = (e: PointerEvent) => dragging && seek(e);
    const up = () => (dragging = false);
    u.over.addEventListener('pointerdown', down);
    u.over.addEventListener('pointermove', move);
    u.over.addEventListener('pointerup', up);
    u.over.addEventListener('pointercancel', up);

    const resize = new ResizeObserver(() => {
      const width = Math.max(el.clientWidth, 200);
      if (width !== u.width) u.setSize({ width, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [data, t, place]);

  useEffect(place, [cursorMs, place]);

  return <div ref={host} className="history-chart__plot" aria-hidden="true" data-testid="history-chart-plot" />;
}
