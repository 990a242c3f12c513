// The browser suite: real API, worker, PostgreSQL, Redis and a built web app, driven by Debian's
// chromium. One suite at a time (it starts a whole stack) and generous time limits.
module.exports = {
  displayName: 'web-e2e',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/web-e2e',
};
