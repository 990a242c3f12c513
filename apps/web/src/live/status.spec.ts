import { MOVING_MIN_SPEED_KMH } from '@fleet/contracts';
import { STATUSES, vehicleStatus } from './status';

const now = Date.parse('2026-11-27T12:00:00Z');
const ago = (ms: number) => now - ms;

describe('vehicleStatus, as the map uses it', () => {
  it('calls a recent fix at walking speed or more moving, and slower stopped', () => {
    expect(vehicleStatus({ tsMs: ago(5_000), speedKmh: 42 }, now)).toBe('moving');
    expect(vehicleStatus({ tsMs: ago(5_000), speedKmh: MOVING_MIN_SPEED_KMH }, now)).toBe('moving');
    expect(vehicleStatus({ tsMs: ago(5_000), speedKmh: 1.2 }, now)).toBe('stopped');
  });

  it('counts an unknown speed as stopped', () => {
    expect(vehicleStatus({ tsMs: ago(1_000), speedKmh: null }, now)).toBe('stopped');
  });

  it('turns a vehicle offline once its last fix is older than the threshold, whatever its speed', () => {
    expect(vehicleStatus({ tsMs: ago(9 * 60_000), speedKmh: 80 }, now)).toBe('moving');
    expect(vehicleStatus({ tsMs: ago(10 * 60_000 + 1), speedKmh: 80 }, now)).toBe('offline');
    expect(vehicleStatus({ tsMs: ago(10 * 60_000 + 1), speedKmh: 0 }, now)).toBe('offline');
  });

  it('honours another offline threshold and treats an unreadable time as offline', () => {
    expect(vehicleStatus({ tsMs: ago(5_000), speedKmh: 8 }, now, 60_000)).toBe('moving');
    expect(vehicleStatus({ tsMs: ago(61_000), speedKmh: 50 }, now, 60_000)).toBe('offline');
    expect(vehicleStatus({ tsMs: Number.NaN, speedKmh: 50 }, now)).toBe('offline');
  });

  it('lists the states in legend order', () => {
    expect(STATUSES).toEqual(['moving', 'stopped', 'offline']);
  });
});
