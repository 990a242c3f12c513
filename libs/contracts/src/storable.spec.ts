import { ATTRIBUTE_LIMITS, cleanText, jsonProblems, storableAsReal, textProblem } from './storable';

describe('what storage refuses', () => {
  it('finds NUL characters and lone surrogates, and nothing in well-formed text', () => {
    for (const ok of ['', 'abc', 'é', '😀', 'a😀b', '\ufffd']) expect(textProblem(ok)).toBeUndefined();
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    for (const bad of ['\ud800', 'x\udc00', '😀\ud800', '\ude00😀', '\udc00\ud800'])
      expect(textProblem(bad)).toMatch(/surrogate/);
  });

  it('cleans text into what storage takes, keeping the rest', () => {
    expect(cleanText('a\u0000b')).toBe('ab');
    expect(cleanText('x\ud800y😀\udc00')).toBe('x\ufffdy😀\ufffd');
    expect(cleanText('plain')).toBe('plain');
  });

  it('knows the range of real', () => {
    for (const ok of [0, -0, 1, -1, 1e-40, 1e-45, 3.4e38, -3.4e38, 123.456]) expect(storableAsReal(ok)).toBe(true);
    for (const bad of [1e-50, 1e-46, 3.5e38, 1e39, 1e300, -1e300, Infinity, NaN])
      expect(storableAsReal(bad)).toBe(false);
  });

  it('reports bad keys and values with their paths, and refuses hostile depth without recursion', () => {
    expect(jsonProblems({ a: 1, b: ['x', { c: true }] }, 'attributes', ATTRIBUTE_LIMITS)).toEqual([]);
    expect(jsonProblems({ ok: 1, 'k\u0000': 2, v: ['\ud800'] }, 'attributes', ATTRIBUTE_LIMITS)).toEqual(
      expect.arrayContaining([
        { path: 'attributes.v.0', message: expect.stringMatching(/surrogate/) },
        { path: 'attributes.k\\u0000', message: expect.stringMatching(/NUL/) },
      ]),
    );
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(jsonProblems(deep, '', ATTRIBUTE_LIMITS)).toEqual([
      { path: 'd.d.d.d.d.d.d.d', message: 'nested deeper than 8 levels' },
    ]);
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    expect(jsonProblems(wide, 'a', ATTRIBUTE_LIMITS)[0]?.message).toMatch(/more than 200/);
  });
});
