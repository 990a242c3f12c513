import { ConfigError, DEV_JWT_SECRET } from '@fleet/runtime';
import { loadApiConfig } from './config';

const strong = 'Zr8Qp1vX4mN7cT2wL9yB5kH3sD6aGfJe';

describe('loadApiConfig', () => {
  it('runs development with local defaults and plain logs', () => {
    const config = loadApiConfig({});
    expect(config.env).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.log.format).toBe('plain');
    expect(config.jwt.secret).toBe(DEV_JWT_SECRET);
  });

  it.each([
    ['missing', undefined],
    ['short', 'abc123'],
    ['the development default', DEV_JWT_SECRET],
  ])('refuses production with a %s JWT_SECRET, naming the variable', (_label, secret) => {
    const env: NodeJS.ProcessEnv = { APP_ENV: 'production', DATABASE_URL: 'postgres://db/fleet' };
    if (secret) env['JWT_SECRET'] = secret;
    expect(() => loadApiConfig(env)).toThrow(ConfigError);
    expect(() => loadApiConfig(env)).toThrow(/JWT_SECRET/);
  });

  it('uses JSON logs in production and parses the CORS allow-list', () => {
    const config = loadApiConfig({
      APP_ENV: 'production',
      JWT_SECRET: strong,
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.log.format).toBe('json');
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('names every bad variable at once', () => {
    let message = '';
    try {
      loadApiConfig({ PORT: '-1', BODY_LIMIT: 'lots', LOG_FORMAT: 'xml' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['PORT', 'BODY_LIMIT', 'LOG_FORMAT']) expect(message).toContain(name);
  });
});
