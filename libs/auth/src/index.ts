export { deviceTokenMatches, generateDeviceIdentifier, generateDeviceToken, hashDeviceToken } from './device-tokens';
