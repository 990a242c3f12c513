import { notifyConfig, notifyEnvSchema } from './config';

describe('notifyConfig', () => {
  it('leaves a channel off until its server or token is set', () => {
    const config = notifyConfig(notifyEnvSchema.parse({}));
    expect(config).toEqual({ smtp: null, telegram: null, webBaseUrl: 'http://localhost:4200' });
  });

  it('reads SMTP and Telegram settings', () => {
    const config = notifyConfig(
      notifyEnvSchema.parse({
        SMTP_HOST: 'smtp.example.com',
        SMTP_PORT: '465',
        SMTP_SECURE: 'true',
        SMTP_USER: 'fleet',
        SMTP_PASSWORD: 'pw',
        SMTP_FROM: 'Fleet <fleet@example.com>',
        TELEGRAM_BOT_TOKEN: '1:abc',
        TELEGRAM_API_BASE_URL: 'http://127.0.0.1:8081',
        WEB_BASE_URL: 'https://fleet.example.com',
      }),
    );
    expect(config.smtp).toMatchObject({
      host: 'smtp.example.com',
      port: 465,
      secure: true,
      user: 'fleet',
      password: 'pw',
    });
    expect(config.telegram).toMatchObject({ botToken: '1:abc', apiBaseUrl: 'http://127.0.0.1:8081' });
    expect(config.webBaseUrl).toBe('https://fleet.example.com');
  });

  it('names each bad variable', () => {
    const r = notifyEnvSchema.safeParse({
      SMTP_PORT: 'smtp',
      SMTP_SECURE: 'yes',
      TELEGRAM_API_BASE_URL: 'ftp://x',
      WEB_BASE_URL: 'nope',
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path[0]).sort()).toEqual([
      'SMTP_PORT',
      'SMTP_SECURE',
      'TELEGRAM_API_BASE_URL',
      'WEB_BASE_URL',
    ]);
  });
});
