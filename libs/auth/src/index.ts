export { basicCredentials } from './credentials';
export { generateDeviceIdentifier, generateDeviceToken, hashDeviceToken } from './device-tokens';
export { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
export {
  InvalidTokenError,
  keyId,
  TokenService,
  type AccessClaims,
  type Role,
  type TokenServiceOptions,
  type VerifiedClaims,
} from './jwt';
