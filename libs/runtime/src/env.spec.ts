import { z } from 'zod';
import { baseEnvSchema, ConfigError, DEV_JWT_SECRET, isWeakSecret, parseEnv } from './env';

describe('parseEnv', () => {
  it('applies defaults and coerces numbers', () => {
    const env = parseEnv(baseEnvSchema, { SHUTDOWN_GRACE_MS: '500' });
    expect(env.APP_ENV).toBe('development');
    expect(env.SHUTDOWN_GRACE_MS).toBe(500);
    expect(env.DATABASE_URL).toMatch(/^postgres:/);
  });

  it('names every bad variable in one error', () => {
    const schema = baseEnvSchema.extend({ PORT: z.coerce.number().int().min(0).max(65535) });
    let error: unknown;
    try {
      parseEnv(schema, { APP_ENV: 'prod', PORT: 'eighty', REDIS_URL: 'http://nope', DB_POOL_MAX: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['APP_ENV', 'PORT', 'REDIS_URL', 'DB_POOL_MAX']) expect(message).toContain(name);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv(baseEnvSchema, { LOG_LEVEL: '' }).LOG_LEVEL).toBe('info');
  });
});

describe('isWeakSecret', () => {
  it.each([undefined, '', 'short', DEV_JWT_SECRET, 'please-change-me-0000000000000000000000', 'x'.repeat(40)])(
    'refuses %p',
    (value) => expect(isWeakSecret(value)).toBe(true),
  );
  it('accepts a long random secret', () => {
    expect(isWeakSecret('f3J9q0vXc2LrT8mZ1yB6nK4wH7sD5aGe')).toBe(false);
  });
});
