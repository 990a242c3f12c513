import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';

export type Role = 'admin' | 'operator' | 'viewer';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Organization id. */
  org: string;
  role: Role;
  /**
   * The user's session version when the token was issued: raising it (disable, role change,
   * deletion, password change) revokes every token issued before, on the next request.
   */
  sv: number;
}

/** What `verify` accepts: the claims, and when the token expires (`exp`, in seconds). */
export interface VerifiedClaims extends AccessClaims {
  exp: number;
}

export interface TokenServiceOptions {
  /** Signs new tokens. */
  secret: string;
  /** Still accepted for verification during a rotation (double publication), never used to sign. */
  previousSecret?: string;
  issuer?: string;
  audience?: string;
  accessTtlSeconds?: number;
  /**
   * Whether a well-signed token's session is still current (its `sv` is the user's session version).
   * False refuses the token as `revoked`; a throw (stores unreachable) is passed on as is.
   */
  isCurrent?: (claims: AccessClaims) => Promise<boolean>;
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid' | 'revoked') {
    super(reason === 'expired' ? 'token expired' : reason === 'revoked' ? 'token revoked' : 'token invalid');
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
  private readonly isCurrent?: (claims: AccessClaims) => Promise<boolean>;

  constructor(options: TokenServiceOptions) {
    this.isCurrent = options.isCurrent;
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
    return new SignJWT({ org: claims.org, role: claims.role, sv: claims.sv })
      .setProtectedHeader({ alg: ALG, kid: this.signingKid, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (options.ttlSeconds ?? this.accessTtlSeconds))
      .sign(this.keys.get(this.signingKid)!);
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const claims = await this.verifySignature(token);
    if (this.isCurrent && !(await this.isCurrent(claims))) throw new InvalidTokenError('revoked');
    return claims;
  }

  private async verifySignature(token: string): Promise<VerifiedClaims> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidTokenError('invalid');
    }
    const key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
    if (!key) throw new InvalidTokenError('invalid');
    try {
      // A token without `exp` would never expire: refused, like one without a subject.
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['exp', 'sub'],
      });
      const role = payload['role'];
      const sv = payload['sv'];
      if (
        typeof payload.sub !== 'string' ||
        typeof payload['org'] !== 'string' ||
        typeof payload.exp !== 'number' ||
        !Number.isSafeInteger(sv) ||
        (sv as number) < 0 ||
        (role !== 'admin' && role !== 'operator' && role !== 'viewer')
      ) {
        throw new InvalidTokenError('invalid');
      }
      return { sub: payload.sub, org: payload['org'], role, sv: sv as number, exp: payload.exp };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new InvalidTokenError('expired');
      throw new InvalidTokenError('invalid');
    }
  }
}
