import { ATTRIBUTE_LIMITS, jsonProblems, storableAsReal } from '@fleet/contracts';
import fc from 'fast-check';
import { validateFix, type RawFix } from './fix';
import { identifierProblem, measurementProblem, reasonOf, storableAttributes, storableFix } from './storable-fix';

const base: RawFix = { ts: new Date('2026-11-27T12:00:00Z'), lat: 40, lon: -3 };

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('measurementProblem', () => {
  it.each([
    ['speed', 1e-50, 'not_storable'], // inside 0..2000, but rounds to 0 as a real: PostgreSQL refuses it
    ['speed', 1e300, 'out_of_range'],
    ['speed', -1, 'out_of_range'],
    ['altitude', 1e300, 'out_of_range'],
    ['altitude', -1e300, 'out_of_range'],
    ['accuracy', 1e39, 'out_of_range'],
    ['battery', 101, 'out_of_range'],
    ['heading', 361, 'out_of_range'],
    ['altitude', Number.NaN, 'not_storable'],
    ['speed', Number.POSITIVE_INFINITY, 'not_storable'],
  ] as const)('%s %p: %s', (name, value, reason) => {
    expect(measurementProblem(name, value)?.reason).toBe(reason);
  });

  it.each([
    ['speed', 0],
    ['speed', -0],
    ['speed', 1e-30], // a float4 subnormal region is fine: it does not round to zero
    ['altitude', -999.5],
    ['accuracy', 1_000_000],
    ['heading', 359.99],
    ['battery', 100],
  ] as const)('stores %s %p', (name, value) => {
    expect(measurementProblem(name, value)).toBeUndefined();
  });
});

describe('storableFix', () => {
  it('leaves a storable fix untouched (same object)', () => {
    const fix = { ...base, speedKmh: 50, altitude: 600, attributes: { hdop: 0.9, ignition: true } };
    expect(storableFix(fix, { path: '' })).toEqual({ fix, problems: [] });
    expect(storableFix(fix, { path: '' }).fix).toBe(fix);
  });

  it('drops each bad measurement, naming it in the protocol’s words, and keeps the rest', () => {
    const fix = { ...base, speedKmh: 1e-50, altitude: 1e300, accuracy: 1e39, heading: 90, battery: 50 };
    const { fix: out, problems } = storableFix(fix, {
      path: 'locations.3',
      names: { altitude: 'properties.altitude', accuracy: 'properties.horizontal_accuracy' },
    });
    expect(out).toEqual({
      ...base,
      speedKmh: undefined,
      altitude: undefined,
      accuracy: undefined,
      heading: 90,
      battery: 50,
    });
    expect(problems.map(({ path, field, reason }) => ({ path, field, reason }))).toEqual([
      { path: 'locations.3.speed', field: 'speed', reason: 'not_storable' },
      { path: 'locations.3.properties.altitude', field: 'altitude', reason: 'out_of_range' },
      { path: 'locations.3.properties.horizontal_accuracy', field: 'accuracy', reason: 'out_of_range' },
    ]);
  });

  it('drops only the attribute entries storage refuses: NUL or lone surrogate in a key or value, deep nesting', () => {
    const attributes = {
      ok: 'fine',
      note: 'a\u0000b',
      ['k\u0000']: 1,
      lone: 'x\ud800',
      ['\udc00key']: true,
      pair: '😀',
      deep: nested(6000),
      shallow: nested(ATTRIBUTE_LIMITS.maxDepth - 1),
    };
    const { fix, problems } = storableFix({ ...base, attributes }, { path: '', names: { attributes: '' } });
    expect(fix.attributes).toEqual({ ok: 'fine', pair: '😀', shallow: attributes.shallow });
    expect(Object.fromEntries(problems.map((p) => [p.path.split('.')[0], p.reason]))).toEqual({
      note: 'bad_text',
      'k\\u0000': 'bad_text',
      lone: 'bad_text',
      '\\udc00key': 'bad_text',
      deep: 'too_deep',
    });
    expect(problems.every((p) => p.field === 'attributes')).toBe(true);
    // Paths are printable (escaped), so an error detail never carries what it complains about.
    expect(problems.every((p) => !p.path.includes('\u0000'))).toBe(true);
  });

  it('keeps entries while the total stays within ATTRIBUTE_LIMITS.maxEntries, then drops the rest', () => {
    const attributes = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, i]));
    const { attributes: kept, problems } = storableAttributes(attributes, 'attributes');
    expect(Object.keys(kept)).toHaveLength(ATTRIBUTE_LIMITS.maxEntries);
    expect(problems).toHaveLength(50);
    expect(problems[0]).toMatchObject({ path: 'attributes.k200', reason: 'too_large' });
    const long = storableAttributes(
      { text: 'x'.repeat(ATTRIBUTE_LIMITS.maxStringLength + 1), ['k'.repeat(65)]: 1 },
      '',
    );
    expect(long.attributes).toEqual({});
    expect(long.problems.map((p) => p.reason)).toEqual(['too_large', 'too_large']);
  });

  it('keeps a `__proto__` key as an ordinary attribute', () => {
    const attributes = JSON.parse('{"__proto__": {"polluted": true}, "bad": "\\u0000"}') as Record<string, unknown>;
    const { attributes: kept } = storableAttributes(attributes, '');
    expect(Object.keys(kept)).toEqual(['__proto__']);
    expect(JSON.stringify(kept)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('reasonOf pins the messages of jsonProblems', () => {
  it.each([
    ['contains a NUL character (\\u0000), which cannot be stored', 'bad_text'],
    ['key contains a lone UTF-16 surrogate (not valid Unicode), which cannot be stored', 'bad_text'],
    ['nested deeper than 8 levels', 'too_deep'],
    ['must be a finite number', 'not_storable'],
    ['more than 200 keys and items in all', 'too_large'],
    ['longer than 4096 characters', 'too_large'],
  ])('%s → %s', (message, reason) => {
    expect(reasonOf(message)).toBe(reason);
  });
});

describe('identifierProblem', () => {
  it('names an identifier with NUL or a lone surrogate, and accepts ordinary ones', () => {
    expect(identifierProblem('id', 'dev\u0000')?.path).toBe('id');
    expect(identifierProblem('device_id', '\ud800')?.message).toMatch(/surrogate/);
    expect(identifierProblem('id', 'demo-01')).toBeUndefined();
    expect(identifierProblem('id', 42)).toBeUndefined();
  });
});

describe('validateFix re-checks storability', () => {
  const options = { now: Date.parse('2026-11-27T12:05:00Z'), maxFutureMs: 600_000 };

  it('refuses a fix no route made storable, naming the field', () => {
    const raw = { ...base, speedKmh: 1e-50, attributes: { note: 'a\u0000' } };
    expect(validateFix(raw, '2', options).map((e) => e.path)).toEqual(['2.speed', '2.attributes.note']);
  });

  it('accepts what storableFix returned, without walking it again', () => {
    const { fix } = storableFix({ ...base, speedKmh: 1e-50, attributes: { note: 'a\u0000', ok: 1 } }, { path: '' });
    expect(validateFix(fix, '', options)).toEqual([]);
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

describe('storableFix, whatever it is given', () => {
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
          const { fix, problems } = storableFix({ ts: base.ts, lat: 1, lon: 1, ...measurements }, { path: '' });
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
