import { MAX_RANGE_DAYS } from '@fleet/contracts';
import type { Period } from '@fleet/reports';
import { invalid } from '../errors';

const DAY_MS = 86_400_000;

/**
 * The period of a history or report query: `from` inclusive, `to` exclusive; by default the 24
 * hours before now. Refused (400, naming the parameter) when empty or longer than MAX_RANGE_DAYS,
 * so no query ever reads an unbounded history.
 */
export function resolvePeriod(q: { from?: string; to?: string }, now = Date.now()): Period {
  const to = q.to === undefined ? new Date(now) : new Date(q.to);
  const from = q.from === undefined ? new Date(to.getTime() - DAY_MS) : new Date(q.from);
  if (from.getTime() >= to.getTime())
    throw invalid('the period is empty', [{ path: 'from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
    throw invalid(`the period is longer than ${MAX_RANGE_DAYS} days`, [
      { path: 'to', message: `must be at most ${MAX_RANGE_DAYS} days after from` },
    ]);
  return { from, to };
}
