import { ErrorBody, ReadyResponse } from './index';

describe('contracts', () => {
  it('accepts an error body with details and a request id', () => {
    const body = {
      error: {
        code: 'validation_failed',
        message: 'bad input',
        details: [{ path: 'positions.0.lat', message: 'must be ≤ 90' }],
      },
      requestId: 'abc',
    };
    expect(ErrorBody.parse(body)).toEqual(body);
  });

  it('rejects an error body with an unknown code', () => {
    expect(ErrorBody.safeParse({ error: { code: 'oops', message: 'x' } }).success).toBe(false);
  });

  it('describes readiness per dependency', () => {
    const ready = ReadyResponse.parse({
      status: 'not_ready',
      checks: { postgres: { ok: true, latencyMs: 2 }, redis: { ok: false, error: 'timeout' } },
    });
    expect(ready.checks['redis']?.ok).toBe(false);
  });
});
