/**
 * English texts of the driver mode (namespace `driver`, registered by `useDriverTranslation`). Spanish
 * (driver.es.ts) must have exactly the same keys: the type checker enforces it.
 */
export const driverEn = {
  provision: {
    title: 'Set up this phone as a tracker',
    intro: 'Scan the QR code on the web’s “Phone setup” page, paste its link, or type the server and token.',
    scan: 'Scan QR code',
    cameraDenied: 'The camera is not allowed: paste the link or type the server and token instead.',
    link: 'Setup link',
    linkHint: 'fleet-tracker://provision?…',
    useLink: 'Use this link',
    serverUrl: 'Server address',
    token: 'Device token',
    useToken: 'Check and save',
    checking: 'Checking with the server…',
    invalid: 'This code cannot be used: {{reason}}',
    missing: 'Fill in the server address and the device token.',
    rejected: 'The server refused this token (revoked or disabled vehicle).',
    unreachable: 'Cannot reach the server. Check the address and your connection.',
    done: 'This phone now reports as {{vehicle}}.',
  },
  home: {
    title: 'Tracker: {{vehicle}}',
    shift: 'On shift',
    tracking: 'Tracking: fixes are recorded and sent.',
    notTracking: 'Not tracking.',
    waitingForeground: 'Tracking starts when the app is open.',
    needsPermission: 'Location permission is needed to track.',
    diagnostics: 'Diagnostics',
    battery: 'Battery optimisation settings',
    batteryHint: 'Allow the app to run unrestricted so Android does not stop tracking.',
    unprovision: 'Remove this phone’s setup',
    back: 'Back',
  },
  permissions: {
    title: 'Location permission',
    foregroundStep: '1. Allow location while using the app',
    backgroundStep: '2. Allow location all the time (“Always”), so tracking goes on with the screen off',
    grantForeground: 'Allow while using',
    grantBackground: 'Allow all the time',
    openSettings: 'Open settings',
    granted: 'Allowed',
    denied: 'Not allowed',
    undetermined: 'Not asked yet',
  },
  diagnostics: {
    title: 'Diagnostics',
    foreground: 'Location (while using)',
    background: 'Location (always)',
    shift: 'Shift',
    on: 'on',
    off: 'off',
    lastFix: 'Last fix',
    queued: 'Fixes waiting to be sent',
    quarantined: 'Fixes refused by the server',
    dropped: 'Fixes dropped (queue full)',
    lastUpload: 'Last upload',
    lastError: 'Last error',
    retryAt: 'Next retry',
    never: 'never',
    none: 'none',
    errorText: '{{status}} {{message}} at {{time}}',
  },
  notification: {
    title: 'Tracking your vehicle',
    body: 'Your position is sent to the dispatcher while you are on shift.',
  },
};

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type DriverMessages = Shape<typeof driverEn>;
