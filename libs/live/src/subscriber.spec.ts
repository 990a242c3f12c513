import fc from 'fast-check';
import { compareLiveIds, isLiveId } from './subscriber';

describe('live log ids', () => {
  it('orders ids as Redis does: by milliseconds, then by sequence (not as strings)', () => {
    expect(compareLiveIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareLiveIds('1700000000000-10', '1700000000000-9')).toBeGreaterThan(0);
    expect(compareLiveIds('5-5', '5-5')).toBe(0);
    fc.assert(
      fc.property(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), ([am, as, bm, bs]) => {
        const expected = am !== bm ? Math.sign(am - bm) : Math.sign(as - bs);
        expect(Math.sign(compareLiveIds(`${am}-${as}`, `${bm}-${bs}`))).toBe(expected);
      }),
    );
  });

  it('accepts only ids of the `<ms>-<seq>` form as a resume point', () => {
    expect(isLiveId('1700000000000-0')).toBe(true);
    for (const bad of ['', '0', '-1-0', '1-', 'abc-1', '1-0 ', '$', '+', '1-0\nX']) expect(isLiveId(bad)).toBe(false);
  });
});
