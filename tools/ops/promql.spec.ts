import { exposedNames, metricNames } from './promql';

describe('metricNames', () => {
  it('finds the selectors of an expression, not its functions, labels, strings or durations', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="api",route!~"/health|{x}"}[5m])))',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      metricNames(
        'sum(rate(positions_accepted_total[10m])) > 0 unless on () (sum(rate(positions_stored_total[10m])) + sum(rate(positions_duplicates_total[1h:5m] offset 5m))) > 0',
      ),
    ).toEqual(['positions_accepted_total', 'positions_duplicates_total', 'positions_stored_total']);
    expect(
      metricNames(
        'sum by (instance) (pg_stat_database_numbackends) / on (instance) group_left(datname) max by (instance) (pg_settings_max_connections) > 0.8',
      ),
    ).toEqual(['pg_settings_max_connections', 'pg_stat_database_numbackends']);
    expect(metricNames('probe_ssl_earliest_cert_expiry - time() < 7 * 86400')).toEqual([
      'probe_ssl_earliest_cert_expiry',
    ]);
    expect(metricNames('api:request_errors:ratio_rate1h > (14.4 * 0.001) and absent(up{job="api"} == 1)')).toEqual([
      'api:request_errors:ratio_rate1h',
      'up',
    ]);
    expect(metricNames('1e3 * 2h + Inf + NaN')).toEqual([]);
  });

  it('reports a name that is not a function, so a typo in a dashboard is caught', () => {
    expect(metricNames('rate(positions_storred_total[5m])')).toEqual(['positions_storred_total']);
  });
});

describe('exposedNames', () => {
  it('expands histograms and summaries into their series', () => {
    const text = [
      '# HELP a_total x',
      '# TYPE a_total counter',
      'a_total 1',
      '# TYPE h_seconds histogram',
      '# TYPE s summary',
      '# TYPE g gauge',
    ].join('\n');
    expect(exposedNames(text).sort()).toEqual(
      [
        'a_total',
        'g',
        'h_seconds',
        'h_seconds_bucket',
        'h_seconds_count',
        'h_seconds_sum',
        's',
        's_count',
        's_sum',
      ].sort(),
    );
  });
});
