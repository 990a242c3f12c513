import os from 'node:os';
import { ConfigError } from '@fleet/runtime';
import { loadTrackersConfig } from './config';

describe('tracker gateway configuration', () => {
  it("listens on Traccar's ports, one worker per core, with the documented limits by default", () => {
    const config = loadTrackersConfig({});
    expect(config.listeners.ports).toEqual({ teltonika: 5027, gt06: 5023, h02: 5013 });
    expect(config.http.port).toBe(9465);
    expect(config.workers).toBe(os.availableParallelism());
    expect(config.connections).toEqual({ idleTimeoutMs: 600_000, maxPerProcess: 20_000 });
    expect(config.ingest).toEqual({ maxFutureSkewMs: 600_000, streamMaxLen: 1_000_000 });
  });

  it('turns a protocol off with `off` and reads the other settings', () => {
    const config = loadTrackersConfig({
      TELTONIKA_PORT: 'off',
      GT06_PORT: '0',
      H02_PORT: '6013',
      PORT: '0',
      TRACKER_WORKERS: '3',
      TRACKER_IDLE_TIMEOUT_S: '30',
      TRACKER_MAX_CONNECTIONS: '5',
      REDIS_KEY_PREFIX: 'staging:',
    });
    expect(config.listeners.ports).toEqual({ teltonika: undefined, gt06: 0, h02: 6013 });
    expect(config.http.port).toBe(0);
    expect(config.workers).toBe(3);
    expect(config.connections).toEqual({ idleTimeoutMs: 30_000, maxPerProcess: 5 });
    expect(config.redis.keyPrefix).toBe('staging:');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadTrackersConfig({ GT06_PORT: 'on', TRACKER_WORKERS: '0', TRACKER_IDLE_TIMEOUT_S: 'soon', PORT: '70000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['GT06_PORT', 'TRACKER_WORKERS', 'TRACKER_IDLE_TIMEOUT_S', 'PORT'])
      expect(problems).toMatch(new RegExp(`^${name}:`, 'm'));
  });
});
