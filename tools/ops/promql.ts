/**
 * Metric names a PromQL expression reads. Syntax itself is checked by promtool (the real parser); this
 * only has to find the selectors' names in an expression promtool accepts: strings, label matchers,
 * ranges and grouping clauses are removed, numbers and durations skipped, and what remains is a
 * function or aggregation when followed by "(", a keyword, or a metric name.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/#[^\n]*/g, ' ') // comments
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers (no strings left inside to hold a brace)
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/@\s*(start|end)\s*\(\s*\)/g, ' ');
  // Label lists of grouping and vector-matching clauses name labels, not metrics; removed whole, so
  // `sum by (le) (x)` reads as `sum (x)`.
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  const token = /(\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:[smhdwy]|ms)*|0x[0-9a-f]+)|([A-Za-z_:][A-Za-z0-9_:]*)/gi;
  for (let m = token.exec(s); m; m = token.exec(s)) {
    const name = m[2];
    if (!name) continue;
    if (KEYWORDS.has(name.toLowerCase())) continue;
    if (/^\s*\(/.test(s.slice(token.lastIndex))) continue; // a function or an aggregation
    names.add(name);
  }
  return [...names].sort();
}

/** Names a Prometheus text exposition declares (`# TYPE`), with the series a histogram or summary expands to. */
export function exposedNames(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)/.exec(line);
    if (!m) continue;
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return [...names];
}

/**
 * Series Prometheus itself creates for every target and rule (not exported by anyone):
 * https://prometheus.io/docs/concepts/jobs_instances/#automatically-generated-labels-and-time-series
 */
export const PROMETHEUS_SYNTHETIC = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'ALERTS',
  'ALERTS_FOR_STATE',
];
