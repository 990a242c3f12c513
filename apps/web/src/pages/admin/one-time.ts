/**
 * Device tokens just shown by creation or regeneration, kept in memory for this page's life only, so
 * the setup page opened right after can put the token into the OwnTracks QR code. Never stored.
 */
export const freshDeviceTokens = new Map<string, string>();
