import { randomBytes, randomUUID } from 'node:crypto';
import { REDACTED, redact } from './redact';

describe('redact', () => {
  it('hides a 32-byte base64url token wherever it appears in text, such as a share link’s path', () => {
    for (let i = 0; i < 50; i++) {
      const token = randomBytes(32).toString('base64url');
      expect(redact(`/api/v1/shared/${token}/live`)).toBe(`/api/v1/shared/${REDACTED}/live`);
      expect(redact({ path: `/api/v1/shared/${token}` })).toEqual({ path: `/api/v1/shared/${REDACTED}` });
    }
  });

  it('leaves ids, hashes and ordinary words alone', () => {
    const uuid = randomUUID();
    const sha256 = randomBytes(32).toString('hex');
    const text = `/api/v1/vehicles/${uuid}/share-links ${sha256} 1700000000000-0 geofence_enter`;
    expect(redact(text)).toBe(text);
  });
});
