import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from './signature';
import { backoffMs } from '@fleet/notify';

describe('webhook signature', () => {
  const secret = 'whsec_test-secret';
  const body = JSON.stringify({ deliveryId: '7', event: { type: 'geofence_enter' } });

  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader(secret, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signatureHeader(secret, 1_700_000_000, body);
    expect(verifySignature(header, body, secret, { nowSeconds: 1_700_000_100 })).toBe(true);
  });

  it('refuses a changed body, another secret, an old timestamp and malformed headers', () => {
    const header = signatureHeader(secret, 1_700_000_000, body);
    const now = { nowSeconds: 1_700_000_000 };
    expect(verifySignature(header, `${body} `, secret, now)).toBe(false);
    expect(verifySignature(header, body, 'whsec_other', now)).toBe(false);
    expect(verifySignature(header, body, secret, { nowSeconds: 1_700_000_301 })).toBe(false);
    // A fresh timestamp pasted onto an old signature does not verify: the timestamp is signed.
    expect(verifySignature(header.replace('t=1700000000', 't=1700000050'), body, secret, now)).toBe(false);
    for (const bad of ['', 'v1=abc', 't=1700000000', 't=x,v1=00', `t=1700000000,v1=${'0'.repeat(63)}`])
      expect(verifySignature(bad, body, secret, now)).toBe(false);
  });
});

describe('webhook backoff', () => {
  const options = { baseMs: 1_000, maxMs: 60_000 };

  it('doubles per attempt between half and all of the ceiling, and stops at the cap', () => {
    expect(backoffMs(1, options, () => 0)).toBe(500);
    expect(backoffMs(1, options, () => 1)).toBe(1_000);
    expect(backoffMs(4, options, () => 0)).toBe(4_000);
    expect(backoffMs(4, options, () => 1)).toBe(8_000);
    expect(backoffMs(40, options, () => 1)).toBe(60_000);
    expect(backoffMs(40, options, () => 0)).toBe(30_000);
  });
});
