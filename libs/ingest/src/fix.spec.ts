import fc from 'fast-check';
import { parseTimestamp, validateFix } from './fix';

const now = new Date('2026-11-27T12:00:00Z');

describe('parseTimestamp', () => {
  it.each([
    ['1764244800', '2025-11-27T12:00:00.000Z'], // epoch seconds
    ['1764244800123', '2025-11-27T12:00:00.123Z'], // epoch milliseconds
    [1764244800, '2025-11-27T12:00:00.000Z'],
    ['2025-11-27T12:00:00Z', '2025-11-27T12:00:00.000Z'],
    ['2025-11-27T14:00:00+02:00', '2025-11-27T12:00:00.000Z'],
    ['2025-11-27T12:00:00.5', '2025-11-27T12:00:00.500Z'], // no offset: UTC
    ['2025-11-27 12:00:00', '2025-11-27T12:00:00.000Z'], // Traccar's yyyy-MM-dd HH:mm:ss, UTC
  ])('reads %p', (input, iso) => {
    expect(parseTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each(['yesterday', '', '12/11/2025', '2025-13-45T99:99:99Z', -5, Number.NaN])('refuses %p', (input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});

describe('validateFix', () => {
  const opts = { now: now.getTime(), maxFutureMs: 600_000 };
  it('names each bad field with its path', () => {
    const errors = validateFix({ ts: new Date(now.getTime() + 3_600_000), lat: 91, lon: -181 }, 'positions.3', opts);
    expect(errors.map((e) => e.path).sort()).toEqual(['positions.3.lat', 'positions.3.lon', 'positions.3.ts']);
  });
  it('refuses 0,0 unless the device says the fix is valid', () => {
    expect(validateFix({ ts: now, lat: 0, lon: 0 }, '', opts)).toHaveLength(1);
    expect(validateFix({ ts: now, lat: 0, lon: 0, valid: true }, '', opts)).toHaveLength(0);
  });
});

describe('fix properties', () => {
  it('timestamps: a parsed timestamp is always a valid date', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.double(),
          fc.integer(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        (value) => {
          const parsed = parseTimestamp(value);
          expect(parsed === undefined || Number.isFinite(parsed.getTime())).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a fix that passes validation is always inside the world', () => {
    fc.assert(
      fc.property(
        fc.record({ lat: fc.double(), lon: fc.double(), ts: fc.option(fc.date(), { nil: undefined }) }),
        (fix) => {
          const errors = validateFix(fix, '', { now: now.getTime(), maxFutureMs: 600_000 });
          if (errors.length === 0) {
            expect(Math.abs(fix.lat)).toBeLessThanOrEqual(90);
            expect(Math.abs(fix.lon)).toBeLessThanOrEqual(180);
            expect(fix.ts!.getTime()).toBeLessThanOrEqual(now.getTime() + 600_000);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
