import { classify, DEFAULT_THRESHOLDS } from './status';

const now = Date.parse('2026-11-27T12:00:00Z');
const ago = (ms: number) => now - ms;

describe('classify', () => {
  it('calls a recent fix at walking speed or more moving, and slower stopped', () => {
    expect(classify({ tsMs: ago(5_000), speedKmh: 42 }, now)).toBe('moving');
    expect(classify({ tsMs: ago(5_000), speedKmh: DEFAULT_THRESHOLDS.movingKmh }, now)).toBe('moving');
    expect(classify({ tsMs: ago(5_000), speedKmh: 1.2 }, now)).toBe('stopped');
  });

  it('counts an unknown speed as stopped', () => {
    expect(classify({ tsMs: ago(1_000), speedKmh: null }, now)).toBe('stopped');
  });

  it('turns a vehicle offline once its last fix is older than the threshold, whatever its speed', () => {
    expect(classify({ tsMs: ago(9 * 60_000), speedKmh: 80 }, now)).toBe('moving');
    expect(classify({ tsMs: ago(10 * 60_000 + 1), speedKmh: 80 }, now)).toBe('offline');
    expect(classify({ tsMs: ago(10 * 60_000 + 1), speedKmh: 0 }, now)).toBe('offline');
  });

  it('honours other thresholds and treats an unreadable time as offline', () => {
    const strict = { movingKmh: 10, offlineAfterMs: 60_000 };
    expect(classify({ tsMs: ago(5_000), speedKmh: 8 }, now, strict)).toBe('stopped');
    expect(classify({ tsMs: ago(61_000), speedKmh: 50 }, now, strict)).toBe('offline');
    expect(classify({ tsMs: Number.NaN, speedKmh: 50 }, now)).toBe('offline');
  });
});
