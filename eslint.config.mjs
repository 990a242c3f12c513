import nx from '@nx/eslint-plugin';

// Node built-ins and I/O clients that shared code (contracts, geo) must never import: it runs in
// browsers and phones, and stays pure so it can be tested without services.
const IO_MODULES = [
  'pg',
  'ioredis',
  'express',
  'winston',
  'prom-client',
  'drizzle-orm',
  'drizzle-kit',
  'helmet',
  'cors',
  'fs',
  'node:fs',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
  'dgram',
  'node:dgram',
  'tls',
  'node:tls',
  'cluster',
  'node:cluster',
  'worker_threads',
  'node:worker_threads',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/node_modules', 'tmp/**', 'coverage/**', '.nx/**'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            // Apps and tools sit on libs; libs never reach up into an app.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Browser and phone code can never pull in server code.
            { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:server', 'scope:shared'] },
            { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:client', 'scope:shared'] },
            {
              sourceTag: 'scope:shared',
              onlyDependOnLibsWithTags: ['scope:shared'],
              bannedExternalImports: IO_MODULES,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/testing/**/*.ts', '**/testing.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
