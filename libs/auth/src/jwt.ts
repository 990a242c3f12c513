import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';

export type Role = 'admin' | 'operator' | 'viewer';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Organization id. */
  org: string;
  role: Role;
}

export interface TokenServiceOptions {
  /** Signs new tokens. */
  secret: string;
  /** Still accepted for verification during a rotation (double publication), never used to sign. */
  previousSecret?: string;
  issuer?: string;
  audience?: string;
  accessTtlSeconds?: number;
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'token expired' : 'token invalid');
    this.name = 'InvalidTokenError';
  }
}

/** The key id a secret is published under: derived, so both sides agree without configuration. */
export function keyId(secret: string): string {
  return createHash('sha256').update(`fleet-jwt-kid:${secret}`).digest('hex').slice(0, 16);
}

const ALG = 'HS256';

/**
 * Access tokens: HS256 pinned (no `none`, no algorithm confusion), `kid` selecting the current or
 * the previous secret, `iss`, `aud`, `exp` and `nbf` checked. Rotation: step 1 publishes the new
 * secret with the old one as previous (nobody is logged out); step 2 drops the previous one (tokens
 * signed with it are refused).
 */
export class TokenService {
  private readonly keys = new Map<string, Uint8Array>();
  private readonly signingKid: string;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTtlSeconds: number;

  constructor(options: TokenServiceOptions) {
    this.issuer = options.issuer ?? 'fleet';
    this.audience = options.audience ?? 'fleet-api';
    this.accessTtlSeconds = options.accessTtlSeconds ?? 15 * 60;
    this.signingKid = keyId(options.secret);
    this.keys.set(this.signingKid, new TextEncoder().encode(options.secret));
    if (options.previousSecret)
      this.keys.set(keyId(options.previousSecret), new TextEncoder().encode(options.previousSecret));
  }

  async sign(claims: AccessClaims, options: { ttlSeconds?: number; now?: number } = {}): Promise<string> {
    const now = Math.floor((options.now ?? Date.now()) / 1000);
    return new SignJWT({ org: claims.org, role: claims.role })
      .setProtectedHeader({ alg: ALG, kid: this.signingKid, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (options.ttlSeconds ?? this.accessTtlSeconds))
      .sign(this.keys.get(this.signingKid)!);
  }

  async verify(token: string): Promise<AccessClaims> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidTokenError('invalid');
    }
    const key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
    if (!key) throw new InvalidTokenError('invalid');
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.audience,
      });
      const role = payload['role'];
      if (
        typeof payload.sub !== 'string' ||
        typeof payload['org'] !== 'string' ||
        (role !== 'admin' && role !== 'operator' && role !== 'viewer')
      ) {
        throw new InvalidTokenError('invalid');
      }
      return { sub: payload.sub, org: payload['org'], role };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new InvalidTokenError('expired');
      throw new InvalidTokenError('invalid');
    }
  }
}
