import { generateDeviceIdentifier, generateDeviceToken, hashDeviceToken } from './device-tokens';

describe('device tokens', () => {
  it('generates distinct long tokens whose hash matches only themselves', () => {
    const a = generateDeviceToken();
    const b = generateDeviceToken();
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(43);
    expect(hashDeviceToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashDeviceToken(a)).toBe(hashDeviceToken(a));
    expect(hashDeviceToken(b)).not.toBe(hashDeviceToken(a));
  });

  it('proposes identifiers of 20 unambiguous characters', () => {
    const ids = new Set(Array.from({ length: 200 }, generateDeviceIdentifier));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[2-9a-hjkmnp-z]{20}$/);
  });
});
