const path = require('node:path');
const nxPreset = require('@nx/jest/preset').default;

// One transform for every project: @swc/jest strips types without type-checking (tsc does that in
// the typecheck target), which keeps the suites fast. jose ships ESM only, so it is transformed too.
module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          target: 'es2022',
          transform: { react: { runtime: 'automatic' } },
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'cjs', 'mjs', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
  // Integration suites share one migrated template database, built once per run.
  globalSetup: path.join(__dirname, 'tools/test/global-setup.cjs'),
};
