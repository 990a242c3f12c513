import fc from 'fast-check';
import { parseTimestamp, validateFix } from './fix';
import { jsonProblems, ATTRIBUTE_LIMITS, storableAsReal } from '@fleet/contracts';
import { decodeOsmAnd, decodeOverland, decodeOwnTracks, decodeTraccarJson } from './protocols';
import { storableFix } from './storable-fix';

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

// The values PostgreSQL refuses, mixed with ordinary ones.
const edgeNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(1e-50, 1e300, -1e300, 1e39, -0, 5e-324, 3.5e38, Number.NaN, Number.POSITIVE_INFINITY),
  fc.double({ min: -2000, max: 2000, noNaN: true }),
);
const edgeText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', 'a\ud800', '\udc00b', '😀', 'x'.repeat(5000)),
);
const edgeJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    edgeText,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(edgeText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('storableFix', () => {
  it('whatever it keeps, storage holds: reals within range, attributes within limits, and it is idempotent', () => {
    fc.assert(
      fc.property(
        fc.record({
          speedKmh: fc.option(edgeNumber, { nil: undefined }),
          heading: fc.option(edgeNumber, { nil: undefined }),
          altitude: fc.option(edgeNumber, { nil: undefined }),
          accuracy: fc.option(edgeNumber, { nil: undefined }),
          battery: fc.option(edgeNumber, { nil: undefined }),
          attributes: fc.option(fc.dictionary(edgeText, edgeJson, { maxKeys: 8 }), { nil: undefined }),
        }),
        (measurements) => {
          const { fix, problems } = storableFix({ ts: now, lat: 1, lon: 1, ...measurements }, { path: '' });
          for (const key of ['speedKmh', 'heading', 'altitude', 'accuracy', 'battery'] as const) {
            const value = fix[key];
            if (value !== undefined) expect(storableAsReal(value)).toBe(true);
          }
          if (fix.attributes) expect(jsonProblems(fix.attributes, '', ATTRIBUTE_LIMITS)).toEqual([]);
          expect(() => JSON.stringify(fix)).not.toThrow();
          expect(storableFix(fix, { path: '' }).problems).toEqual([]);
          // Nothing is dropped silently: every change is one problem.
          const droppedMeasurements = (['speedKmh', 'heading', 'altitude', 'accuracy', 'battery'] as const).filter(
            (key) => measurements[key] !== undefined && fix[key] === undefined,
          ).length;
          expect(problems.filter((p) => p.field !== 'attributes')).toHaveLength(droppedMeasurements);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
