import { redact, REDACTED } from './redact';
import { runWithRequestId } from './request-context';
import { captureLogger } from './testing';

function capture(format: 'json' | 'plain', secrets: string[] = []) {
  const { logger, lines } = captureLogger({ service: 'test-svc', format, level: 'debug', secrets });
  return { logger, flush: lines };
}

describe('createLogger', () => {
  it('prints one JSON object a line with time, level, service, msg, requestId and fields', async () => {
    const { logger, flush } = capture('json');
    runWithRequestId('req-123', () => logger.info('vehicle moved', { vehicleId: 7 }));
    logger.warn('no request here');
    const lines = await flush();
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({
      level: 'info',
      service: 'test-svc',
      msg: 'vehicle moved',
      requestId: 'req-123',
      vehicleId: 7,
    });
    expect(new Date(first.time).toString()).not.toBe('Invalid Date');
    expect(JSON.parse(lines[1]).requestId).toBeUndefined();
  });

  it('never prints an authorization header, a password field or a configured secret value', async () => {
    const { logger, flush } = capture('json', ['super-secret-jwt-key-0123456789']);
    logger.info('login attempt', {
      headers: { authorization: 'Bearer abc.def.ghi', 'content-type': 'application/json' },
      body: { email: 'a@b.c', password: 'hunter2-password', nested: [{ refreshToken: 'rt-value' }] },
      JWT_SECRET: 'super-secret-jwt-key-0123456789',
    });
    logger.error('failed with super-secret-jwt-key-0123456789 and Bearer xyz123 at postgres://u:pw1234@db/x');
    const text = (await flush()).join('\n');
    for (const secret of ['abc.def.ghi', 'hunter2-password', 'rt-value', 'super-secret-jwt-key', 'xyz123', 'pw1234']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('a@b.c');
    expect(text).toContain(REDACTED);
    for (const line of text.split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('logs an error with its message and stack, redacted', async () => {
    const { logger, flush } = capture('json');
    logger.error('boom', { err: new Error('token=abcdef leaked') });
    const [line] = await flush();
    const parsed = JSON.parse(line);
    expect(parsed.err.message).toBe(`token=${REDACTED} leaked`);
    expect(parsed.err.stack).toContain('Error');
  });

  it('prints a readable single line in plain mode', async () => {
    const { logger, flush } = capture('plain');
    runWithRequestId('abcdef123456', () => logger.info('started', { port: 3000 }));
    const [line] = await flush();
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} info {2}test-svc \[abcdef12\] started \{"port":3000\}$/);
  });
});

describe('redact', () => {
  it('does not mutate its input and copes with cycles', () => {
    const input: Record<string, unknown> = { password: 'x1', ok: 'yes' };
    input['self'] = input;
    const out = redact(input) as Record<string, unknown>;
    expect(input['password']).toBe('x1');
    expect(out['password']).toBe(REDACTED);
    expect(out['self']).toBe('[Circular]');
  });
});
