module.exports = {
  displayName: 'web',
  preset: '../../jest.preset.js',
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.spec.tsx'],
  // Stylesheets mean nothing to jsdom; `env.ts` reads Vite's import.meta, which CommonJS cannot parse.
  moduleNameMapper: {
    '\\.css$': '<rootDir>/src/testing/style-stub.cjs',
    '^(\\.{1,2}/)*env$': '<rootDir>/src/testing/env-stub.ts',
  },
  // wouter (and its regexparam) ship ESM only, like jose: transformed for pages that read the URL.
  transformIgnorePatterns: ['/node_modules/(?!(jose|wouter|regexparam)/)'],
  setupFilesAfterEnv: ['<rootDir>/src/testing/setup.ts'],
  coverageDirectory: '../../coverage/apps/web',
};
