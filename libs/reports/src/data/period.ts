/** A half-open period [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

/**
 * [from, to) cut into the fewest equal windows of at most `maxMs` (36 hours by default): a day, or a
 * day and a second, is one window, not a day and a one-second remainder.
 */
export function windows(period: Period, maxMs = 1.5 * DAY_MS): Period[] {
  const from = period.from.getTime();
  const span = period.to.getTime() - from;
  const count = Math.max(1, Math.ceil(span / maxMs));
  const out: Period[] = [];
  for (let i = 0; i < count; i++) {
    const end = i === count - 1 ? period.to.getTime() : from + Math.round((span * (i + 1)) / count);
    out.push({ from: new Date(from + Math.round((span * i) / count)), to: new Date(end) });
  }
  return out;
}
