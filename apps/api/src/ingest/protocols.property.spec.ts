import fc from 'fast-check';
import { parseTimestamp, validateFix } from './fix';
import { decodeOsmAnd, decodeOverland, decodeOwnTracks, decodeTraccarJson } from './protocols';

const now = new Date('2026-11-27T12:00:00Z');

describe('protocol decoders never throw, whatever they are given', () => {
  it('OsmAnd parameters', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('id', 'lat', 'lon', 'timestamp', 'location', 'speed', 'valid')),
          fc.string(),
        ),
        (params) => {
          const { fix } = decodeOsmAnd(params, now);
          validateFix(fix, '', { now: now.getTime(), maxFutureMs: 600_000 });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('JSON bodies (Traccar, OwnTracks, Overland)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        decodeTraccarJson(body);
        decodeOwnTracks(body);
        decodeOverland(body);
        decodeTraccarJson({ device_id: 'x', location: body });
        decodeOwnTracks({
          _type: 'location',
          ...(typeof body === 'object' && body && !Array.isArray(body) ? body : { lat: body }),
        });
        decodeOverland({ locations: [body] });
      }),
      { numRuns: 500 },
    );
  });

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
