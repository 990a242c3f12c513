import { lifecycleLog } from './signals';

describe('lifecycle lines (printed outside the logger)', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const e = jest.spyOn(console, 'error').mockImplementation((msg: string) => void err.push(msg));
    return { out, err, restore: () => (o.mockRestore(), e.mockRestore()) };
  };

  it('are JSON lines on stdout, in the logger’s shape, where logs are JSON', () => {
    for (const env of [
      { APP_ENV: 'production' },
      { APP_ENV: 'staging' },
      { APP_ENV: 'development', LOG_FORMAT: 'json' },
    ]) {
      const c = capture();
      lifecycleLog('api', env)('info', 'SIGTERM received: draining');
      c.restore();
      expect(c.err).toEqual([]);
      expect(JSON.parse(c.out[0])).toEqual({
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        level: 'info',
        service: 'api',
        msg: 'SIGTERM received: draining',
      });
    }
  });

  it('are plain text on stderr otherwise', () => {
    const c = capture();
    lifecycleLog('worker', { APP_ENV: 'production', LOG_FORMAT: 'plain' })('error', 'bad config');
    lifecycleLog('worker', { APP_ENV: 'test' })('info', 'hello');
    c.restore();
    expect(c.out).toEqual([]);
    expect(c.err).toEqual(['worker: bad config', 'worker: hello']);
  });
});
