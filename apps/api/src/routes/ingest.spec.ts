import { BASIC_CHALLENGE, InvalidPositionsError, Refusal, type RefusalKind } from '@fleet/ingest';
import { createLogger } from '@fleet/logging-json';
import { errorResponse } from '../errors';
import { answer, apiError } from './ingest';

const logger = createLogger({ service: 'test', level: 'error' });
const http = (err: unknown) => errorResponse(err, { logger, method: 'POST', path: '/api/v1/osmand' });

describe('a protocol refusal answered as the API error of its kind', () => {
  const details = [{ path: 'id', message: 'required' }];
  it.each<[RefusalKind, Refusal, number, string]>([
    ['invalid', new Refusal('invalid', 'id is missing', { details }), 400, 'validation_failed'],
    ['bad_request', new Refusal('bad_request', 'unknown device'), 400, 'bad_request'],
    ['unauthorized', new Refusal('unauthorized', 'unknown device token'), 401, 'unauthorized'],
    ['forbidden', new Refusal('forbidden', 'this device is disabled', { details }), 403, 'forbidden'],
    ['not_found', new Refusal('not_found', 'vehicle not found', { subject: 'vehicle' }), 404, 'not_found'],
    ['method_not_allowed', new Refusal('method_not_allowed', 'use GET or POST'), 405, 'method_not_allowed'],
    ['payload_too_large', new Refusal('payload_too_large', 'GPX files up to 10 bytes'), 413, 'payload_too_large'],
  ])('%s', (_kind, refusal, status, code) => {
    const { status: answered, body } = http(apiError(refusal));
    expect(answered).toBe(status);
    expect(body.error).toEqual({
      code,
      message: refusal.message,
      ...(refusal.extra.details && { details: refusal.extra.details }),
    });
  });

  it('sends the challenge a 401 names, and none when it names none', () => {
    expect(http(apiError(new Refusal('unauthorized', 'x', { challenge: BASIC_CHALLENGE }))).headers).toEqual({
      'WWW-Authenticate': BASIC_CHALLENGE,
    });
    expect(http(apiError(new Refusal('unauthorized', 'x'))).headers).toEqual({});
  });

  it('passes any other error through untouched (the pipeline’s InvalidPositionsError, the API’s own)', async () => {
    const invalid = new InvalidPositionsError('1 of 1 position(s) are not valid', [{ path: 'lat', message: 'x' }]);
    expect(apiError(invalid)).toBe(invalid);
    await expect(answer(Promise.reject(invalid))).rejects.toBe(invalid);
    await expect(answer(Promise.reject(new Refusal('forbidden', 'no')))).rejects.toMatchObject({ status: 403 });
    await expect(answer(Promise.resolve({ result: 'ok' }))).resolves.toEqual({ result: 'ok' });
  });
});
