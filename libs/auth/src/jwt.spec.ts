import { SignJWT, UnsecuredJWT } from 'jose';
import { InvalidTokenError, keyId, TokenService } from './jwt';

const A = 'secret-A-0123456789abcdefghijklmnopqrstuv';
const B = 'secret-B-0123456789abcdefghijklmnopqrstuv';
const claims = { sub: 'user-1', org: 'org-1', role: 'operator' as const, sv: 0 };
const verified = { ...claims, exp: expect.any(Number) as number };

async function reason(promise: Promise<unknown>) {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    return err instanceof InvalidTokenError ? err.reason : `other: ${String(err)}`;
  }
}

describe('TokenService', () => {
  it('signs with a kid derived from the secret and verifies its own tokens', async () => {
    const tokens = new TokenService({ secret: A });
    const token = await tokens.sign(claims);
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid).toBe(keyId(A));
    await expect(tokens.verify(token)).resolves.toEqual(verified);
  });

  it('keeps tokens of the previous secret valid during a rotation, and refuses them after', async () => {
    const old = await new TokenService({ secret: A }).sign(claims);
    const step1 = new TokenService({ secret: B, previousSecret: A });
    await expect(step1.verify(old)).resolves.toEqual(verified);
    const fresh = await step1.sign(claims);
    expect(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).kid).toBe(keyId(B));
    const step2 = new TokenService({ secret: B });
    expect(await reason(step2.verify(old))).toBe('invalid');
    await expect(step2.verify(fresh)).resolves.toEqual(verified);
  });

  it('refuses a tampered signature, an expired token, alg none, another algorithm and a wrong audience', async () => {
    const tokens = new TokenService({ secret: A });
    const token = await tokens.sign(claims);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin' })).toString('base64url')}.${s}`;
    expect(await reason(tokens.verify(tampered))).toBe('invalid');
    expect(await reason(tokens.verify(`${h}.${p}.${s.slice(0, -2)}xx`))).toBe('invalid');
    const expired = await tokens.sign(claims, { ttlSeconds: 60, now: Date.now() - 3_600_000 });
    expect(await reason(tokens.verify(expired))).toBe('expired');
    const none = new UnsecuredJWT({ org: 'org-1', role: 'admin' })
      .setSubject('user-1')
      .setIssuer('fleet')
      .setAudience('fleet-api')
      .setExpirationTime('1h')
      .encode();
    expect(await reason(tokens.verify(none))).toBe('invalid');
    const key = new TextEncoder().encode(A);
    const hs512 = await new SignJWT({ org: 'org-1', role: 'admin' })
      .setProtectedHeader({ alg: 'HS512', kid: keyId(A) })
      .setSubject('u')
      .setIssuer('fleet')
      .setAudience('fleet-api')
      .setExpirationTime('1h')
      .sign(key);
    expect(await reason(tokens.verify(hs512))).toBe('invalid');
    const otherAudience = await new SignJWT({ org: 'org-1', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: keyId(A) })
      .setSubject('u')
      .setIssuer('fleet')
      .setAudience('elsewhere')
      .setExpirationTime('1h')
      .sign(key);
    expect(await reason(tokens.verify(otherAudience))).toBe('invalid');
    expect(await reason(tokens.verify('not.a.jwt'))).toBe('invalid');
  });

  it('refuses a well-signed token without exp (it would never expire) or without a session version', async () => {
    const tokens = new TokenService({ secret: A });
    const key = new TextEncoder().encode(A);
    const base = () =>
      new SignJWT({ org: 'org-1', role: 'admin', sv: 0 })
        .setProtectedHeader({ alg: 'HS256', kid: keyId(A) })
        .setSubject('user-1')
        .setIssuer('fleet')
        .setAudience('fleet-api')
        .setIssuedAt();
    expect(await reason(tokens.verify(await base().sign(key)))).toBe('invalid');
    expect(await reason(tokens.verify(await base().setExpirationTime('1h').sign(key)))).toBe('accepted');
    const noVersion = await new SignJWT({ org: 'org-1', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: keyId(A) })
      .setSubject('user-1')
      .setIssuer('fleet')
      .setAudience('fleet-api')
      .setExpirationTime('1h')
      .sign(key);
    expect(await reason(tokens.verify(noVersion))).toBe('invalid');
  });

  it('returns exp, and refuses as revoked a token whose session is no longer current', async () => {
    const current = new Map([['user-1', 1]]);
    const tokens = new TokenService({
      secret: A,
      isCurrent: async (c) => current.get(c.sub) === c.sv,
    });
    const now = Date.now();
    const old = await tokens.sign({ ...claims, sv: 0 }, { now, ttlSeconds: 600 });
    const fresh = await tokens.sign({ ...claims, sv: 1 }, { now, ttlSeconds: 600 });
    expect(await reason(tokens.verify(old))).toBe('revoked');
    await expect(tokens.verify(fresh)).resolves.toEqual({ ...claims, sv: 1, exp: Math.floor(now / 1000) + 600 });
  });
});
